import * as React from "react";
import { cn } from "@/lib/utils";

/**
 * A table. `stack`: below the md breakpoint (768 px) each row becomes a card-like list item
 * (globals.css `.stack-table`): the header row hides and each cell shows its `data-label`
 * above its value; cells with `data-stack="full"` span the row's width.
 */
function Table({ className, stack = false, ...props }: React.ComponentProps<"table"> & { stack?: boolean }) {
  return (
    <div data-slot="table-container" className={cn("relative w-full", stack ? "md:overflow-x-auto" : "overflow-x-auto")}>
      <table data-slot="table" className={cn("w-full caption-bottom text-sm", stack && "stack-table", className)} {...props} />
    </div>
  );
}
function TableHeader({ className, ...props }: React.ComponentProps<"thead">) {
  return <thead data-slot="table-header" className={cn("[&_tr]:border-b", className)} {...props} />;
}
function TableBody({ className, ...props }: React.ComponentProps<"tbody">) {
  return <tbody data-slot="table-body" className={cn("[&_tr:last-child]:border-0", className)} {...props} />;
}
function TableRow({ className, ...props }: React.ComponentProps<"tr">) {
  return <tr data-slot="table-row" className={cn("hover:bg-muted/50 border-b transition-colors", className)} {...props} />;
}
function TableHead({ className, ...props }: React.ComponentProps<"th">) {
  return <th data-slot="table-head" className={cn("text-muted-foreground h-10 px-2 text-left align-middle font-medium whitespace-nowrap", className)} {...props} />;
}
function TableCell({ className, ...props }: React.ComponentProps<"td">) {
  return <td data-slot="table-cell" className={cn("p-2 align-middle", className)} {...props} />;
}

export { Table, TableHeader, TableBody, TableRow, TableHead, TableCell };
