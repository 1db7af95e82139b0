import { expect } from 'chai';
import {
  JOB_STATE_TRANSITIONS,
  JobState,
  canReachJobState,
  canTransitionJobState,
  isTerminalJobState,
} from '../../../src/core/protocol/job-state.js';

const ALL = Object.values(JobState);

describe('JobState', () => {
  it('should use the service words as values', () => {
    expect(ALL).to.deep.equal(['Submitted', 'Running', 'Success', 'Failed', 'Pause', 'Cancel']);
  });
});

describe('JOB_STATE_TRANSITIONS', () => {
  it('should list successors for every state and only known states', () => {
    expect(Object.keys(JOB_STATE_TRANSITIONS).sort()).to.deep.equal([...ALL].sort());
    for (const successors of Object.values(JOB_STATE_TRANSITIONS)) {
      for (const next of successors) expect(ALL).to.include(next);
    }
  });

  it('should match the documented life cycle', () => {
    expect(JOB_STATE_TRANSITIONS).to.deep.equal({
      Submitted: ['Running', 'Pause', 'Cancel', 'Failed'],
      Pause: ['Submitted', 'Cancel'],
      Running: ['Success', 'Failed'],
      Success: [],
      Failed: [],
      Cancel: [],
    });
  });

  it('should have no transition from a state to itself', () => {
    for (const state of ALL) expect(canTransitionJobState(state, state)).to.equal(false);
  });

  it('should not allow cancelling a running job', () => {
    expect(canTransitionJobState('Running', 'Cancel')).to.equal(false);
  });

  it('should reach every terminal state from Submitted', () => {
    for (const state of ['Success', 'Failed', 'Cancel'] as const) {
      expect(canReachJobState('Submitted', state), state).to.equal(true);
    }
  });
});

describe('isTerminalJobState', () => {
  it('should be true exactly for Success, Failed and Cancel', () => {
    expect(ALL.filter(isTerminalJobState)).to.deep.equal(['Success', 'Failed', 'Cancel']);
  });
});

describe('canReachJobState', () => {
  it('should accept a poll that skipped Running', () => {
    expect(canReachJobState('Submitted', 'Success')).to.equal(true);
  });

  it('should treat Running after Success as stale', () => {
    expect(canReachJobState('Success', 'Running')).to.equal(false);
  });

  it('should treat Submitted after Running as stale', () => {
    expect(canReachJobState('Running', 'Submitted')).to.equal(false);
  });
});
