// What a page gets from the shell: the resolved range, its own URL parameters, and navigation.
import type { ResolvedRange, TimeRange } from './time.js';

/** The shell's state handed to a page on mount and on every refresh. */
export interface PageContext {
  readonly range: ResolvedRange;
  readonly timeRange: TimeRange;
  /** The page's own parameters from the URL hash (the global from/to/refresh removed). */
  readonly params: URLSearchParams;
  /** Goes to another page, keeping the time range and refresh. */
  navigate(page: string, params?: Record<string, string>): void;
  /** Builds the href of another page, keeping the time range and refresh. */
  href(page: string, params?: Record<string, string>): string;
}

/** A mounted page: refreshed by the shell on the auto-refresh tick or when the range changes. */
export interface PageInstance {
  refresh(ctx: PageContext): Promise<void>;
  dispose?(): void;
}

/** A page: its title and how to mount it. */
export interface PageDef {
  readonly id: string;
  readonly title: string;
  mount(root: HTMLElement, ctx: PageContext): PageInstance;
}
