import { loadConfig } from '../../config';
import { runDevStack } from '../../runtime/dev-stack';

export const runDev = (): Promise<void> => runDevStack(loadConfig());
