/**
 * `npm run report`: publishes the reliability records the last test run left in the git-ignored
 * test-results/reliability/ into docs/reliability/ and regenerates docs/RELIABILITY.md.
 */
import { DOCS_DIR, publishReliabilityReport, RESULTS_DIR } from './reliability-report.ts';

const cases = publishReliabilityReport();
console.log(`published ${cases.length} case(s) from ${RESULTS_DIR} to ${DOCS_DIR}/RELIABILITY.md: ${cases.join(', ')}`);
