import type { FirstStrings } from './en.js';

/** The Simplified Chinese strings of the first paint (`lang="zh-CN"`, `zh`, `zh-Hans`...). */
export const zhCN: FirstStrings = {
  dropLabel: '将视频拖放到此处',
  or: '或',
  choose: '选择文件',
  chooseOther: '选择其他文件',
  limits: '{accept}，最大 {size}',
  anyType: '任意文件',
  existing: '或处理存储桶中已有的 {key}',
  inBucket: '已在存储桶中',
  start: '开始',
  errOther: '出现了问题。',
};
