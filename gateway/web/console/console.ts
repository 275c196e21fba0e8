// The marketing console script (/web/console.js): being built.
import { PulseClient } from '../client/pulse-client.js';

void PulseClient;
