// Usage-log writer thread entry: nothing is compiled, so register tsx before loading the TypeScript.
import { register } from 'tsx/esm/api';

register();
const { runLogWriter } = await import('./log-writer-thread.ts');
runLogWriter();
