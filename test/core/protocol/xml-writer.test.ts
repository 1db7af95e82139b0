import { expect } from 'chai';
import { buildXml, parseXml } from '../../../src/core/protocol/xml.js';
import { thrown } from '../../helpers/expect-error.js';

describe('buildXml', () => {
  it('should escape the five XML special characters in text', () => {
    expect(buildXml({ A: `x&y<z>"d"'s'` })).to.equal('<A>x&amp;y&lt;z&gt;&quot;d&quot;&apos;s&apos;</A>');
  });

  it('should keep markup-looking text as text through a parse', () => {
    const UserData = '</UserData><Tag>x</Tag>]]><![CDATA[&amp;';
    const xml = buildXml({ Request: { UserData } });
    expect(xml.match(/<Tag>/g)).to.equal(null);
    expect((parseXml(xml)['Request'] as Record<string, unknown>)['UserData']).to.equal(UserData);
  });

  it('should write arrays as repeated elements in order, null as an empty element, and leave undefined out', () => {
    expect(buildXml({ R: { S: ['a', null, undefined, 'b'], U: undefined, E: '', O: {} } })).to.equal(
      '<R><S>a</S><S/><S>b</S><E></E><O></O></R>',
    );
  });

  it('should write numbers and booleans as text and nested objects in key order', () => {
    expect(buildXml({ R: { N: 3, B: false, C: { Z: '1', A: '2' } } })).to.equal(
      '<R><N>3</N><B>false</B><C><Z>1</Z><A>2</A></C></R>',
    );
  });

  it('should accept namespaced and non-ASCII element names', () => {
    expect(buildXml({ 'ns:A': { 名字: 'x', 'a_b.c-d': 'y' } })).to.equal('<ns:A><名字>x</名字><a_b.c-d>y</a_b.c-d></ns:A>');
  });

  for (const name of ['a b', 'x><y', 'Tag>x</Tag><Tag', '1a', '-a', '', '#text', '@_id']) {
    it(`should refuse the element name ${JSON.stringify(name)} instead of splicing it`, () => {
      const error = thrown(() => buildXml({ Request: { [name]: 'v' } }));
      expect([error.code, error.phase]).to.deep.equal(['invalid-request', 'request']);
      expect(error.message).not.to.contain(name || '\u0000');
    });
  }
});
