import type { Section } from '../section.js';
import { aggregationSection } from './aggregation.js';
import { compressionSection } from './compression.js';
import { convergenceSection } from './convergence.js';
import { floorSection } from './floor.js';
import { ledgerSection } from './ledger.js';
import { privacySection } from './privacy.js';
import { robustnessSection } from './robustness.js';
import { roundsSection } from './rounds.js';
import { secaggSection } from './secagg.js';
import { signingSection } from './signing.js';
import { simulationSection } from './simulation.js';
import { trainingSection } from './training.js';

/**
 * Every section, in the order they run. `floor` comes first: later sections state ratios to
 * its baselines. Add a section by writing `sections/<name>.ts` and listing it here.
 */
export const SECTIONS: readonly Section[] = [
  floorSection,
  ledgerSection,
  signingSection,
  aggregationSection,
  robustnessSection,
  convergenceSection,
  privacySection,
  trainingSection,
  compressionSection,
  roundsSection,
  secaggSection,
  simulationSection,
];
