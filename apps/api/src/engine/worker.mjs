// Piscina worker entry: nothing is compiled, so register tsx before loading the TypeScript task.
import { register } from 'tsx/esm/api';

register();
const mod = await import('./worker-impl.ts');
export default mod.default;
