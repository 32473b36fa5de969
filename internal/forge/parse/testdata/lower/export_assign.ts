function handler() {}
export = handler;
export as namespace Lib;
