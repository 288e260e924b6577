// runstate/dashboard: a live page of the watches (a queue's, or this process's), as a Web handler.

export { formatWatchData } from './bull-board.js';
export { createDashboard, type Dashboard, type DashboardOptions } from './dashboard.js';
export { type MachineDiagram, machineDiagram } from './diagram.js';
export type { WatchView, WatchViewOptions } from './watch-view.js';
