// The slice of papaparse (5.x) Shouyin uses: synchronous parsing of a string into rows of cells.
// Written here instead of @types/papaparse, which pulls in @types/node (no Node types under worker/).
declare module 'papaparse' {
  export interface ParseError {
    type: string;
    code: string;
    message: string;
    row?: number;
  }
  export interface ParseConfig {
    delimiter?: string;
    newline?: string;
    quoteChar?: string;
    header?: false;
    skipEmptyLines?: boolean | 'greedy';
    comments?: false | string;
  }
  export interface ParseResult {
    data: string[][];
    errors: ParseError[];
  }
  const Papa: { parse(input: string, config?: ParseConfig): ParseResult };
  export default Papa;
}
