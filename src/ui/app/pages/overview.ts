// Overview: the eight panels of the specification, in a grid.
import { OVERVIEW_PANELS } from '../../../dashboards/index.js';
import type { PageDef } from '../context.js';
import { h } from '../dom.js';
import { panelView } from '../panel.js';

export const overviewPage: PageDef = {
  id: 'overview',
  title: 'Overview',
  mount(root) {
    const views = OVERVIEW_PANELS.map(panelView);
    root.append(h('div', { class: 'grid' }, ...views.map((v) => v.el)));
    return {
      async refresh(ctx) {
        await Promise.all(views.map((v) => v.update(ctx.range)));
      },
      dispose() {
        for (const v of views) v.dispose();
      },
    };
  },
};
