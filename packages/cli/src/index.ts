export { main, buildProgram } from './main.js';
export { simulate, type SimulateOptions } from './commands/simulate.js';
