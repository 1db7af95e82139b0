import { expect } from 'chai';
import {
  SESSION_PHASE_TRANSITIONS,
  SessionPhase,
  isFinalSessionPhase,
} from '../../../src/core/session/session-phase.js';

describe('SESSION_PHASE_TRANSITIONS', () => {
  const phases = Object.values(SessionPhase);

  it('should name every phase, and only phases', () => {
    expect(Object.keys(SESSION_PHASE_TRANSITIONS).sort()).to.deep.equal([...phases].sort());
    for (const targets of Object.values(SESSION_PHASE_TRANSITIONS)) {
      for (const target of targets) expect(phases).to.include(target);
    }
  });

  it('should go idle -> uploading or submitting -> processing -> done, and nowhere backwards', () => {
    expect(SESSION_PHASE_TRANSITIONS.idle).to.deep.equal(['uploading', 'submitting', 'cancelled']);
    expect(SESSION_PHASE_TRANSITIONS.uploading).to.deep.equal(['submitting', 'failed', 'cancelled']);
    expect(SESSION_PHASE_TRANSITIONS.submitting).to.deep.equal(['processing', 'failed', 'cancelled']);
    expect(SESSION_PHASE_TRANSITIONS.processing).to.deep.equal(['done', 'failed', 'cancelled']);
  });

  it('should let a failed session resume any working phase, or be cancelled', () => {
    expect(SESSION_PHASE_TRANSITIONS.failed).to.deep.equal(['uploading', 'submitting', 'processing', 'cancelled']);
  });

  it('should let every phase but done be cancelled', () => {
    const cancellable = phases.filter((phase) => SESSION_PHASE_TRANSITIONS[phase].includes('cancelled'));
    expect(cancellable.sort()).to.deep.equal(['failed', 'idle', 'processing', 'submitting', 'uploading']);
  });

  it('should end at done and cancelled, and only there', () => {
    expect(phases.filter(isFinalSessionPhase).sort()).to.deep.equal(['cancelled', 'done']);
  });

  it('should be frozen', () => {
    expect(Object.isFrozen(SESSION_PHASE_TRANSITIONS)).to.equal(true);
  });
});
