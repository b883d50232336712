import { loadConfig } from '../../config';
import { runDevStack } from '../../dev/dev-stack';

export const runDev = (): Promise<void> => runDevStack(loadConfig());
