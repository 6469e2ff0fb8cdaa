// plotly's FigureWidget front end, compiled once per page and never started late.
//
// plotly ships its widget as one 5 MB module that anywidget compiles anew for every
// chart, and anywidget gives each chart 2 seconds to start; a chart that takes longer
// never takes another update. Compiling took about that long on a 2-core machine.
// Here this small module is all anywidget loads; plotly's module travels as the text of
// the widget's `_bundle` and is compiled once per page, after the chart has started (by
// the preload the notebook package opens at import, or by the first chart). Until it is
// there a chart keeps, in order, what Python sends, then hands it to plotly's own model
// as if it had just arrived.
const KEY = "__KEY__";

// Compiling holds the page's one thread for about 2 seconds: it waits until the page is
// idle (at most 1 s), so that widgets already starting finish first instead of running
// into anywidget's 2-second limit behind the compile.
function whenIdle() {
  return new Promise((ready) =>
    globalThis.requestIdleCallback
      ? globalThis.requestIdleCallback(() => ready(), { timeout: 1000 })
      : setTimeout(ready, 50),
  );
}

function plotlyWidgetModule(model) {
  if (!globalThis[KEY]) {
    globalThis[KEY] = whenIdle().then(() => {
      const blob = new Blob([model.get("_bundle")], { type: "text/javascript" });
      const url = URL.createObjectURL(blob);
      return import(url).finally(() => URL.revokeObjectURL(url));
    });
  }
  return globalThis[KEY];
}

// what Python sends that plotly's model acts on (its FigureModel.initialize listens to these)
const SENT = [
  "_widget_data",
  "_widget_layout",
  "_py2js_addTraces",
  "_py2js_deleteTraces",
  "_py2js_moveTraces",
  "_py2js_restyle",
  "_py2js_relayout",
  "_py2js_update",
  "_py2js_animate",
  "_py2js_removeLayoutProps",
  "_py2js_removeTraceProps",
];

function keepSent(model) {
  // anywidget hands a model with get, set, on and off only: one listener per name, which
  // the model calls in the order the changes arrive
  const received = [];
  const listeners = SENT.map((name) => {
    const listener = () => received.push({ [name]: model.get(name) });
    model.on(`change:${name}`, listener);
    return [name, listener];
  });
  const stop = () => listeners.forEach(([name, listener]) => model.off(`change:${name}`, listener));
  return { received, stop };
}

function replay(model, initial, received) {
  // plotly's model applies each change to the figure it holds: start it from the first
  // figure and give it every change again, in the order they came
  model.set(initial, { silent: true });
  for (const changes of received) {
    for (const [name, value] of Object.entries(changes)) {
      model.set(name, null, { silent: true });
      model.set(name, value);
    }
  }
}

export default () => {
  let started = null; // plotly's widget for this chart, once its model runs
  return {
    initialize(context) {
      const { model } = context;
      if (model.get("_preload")) {
        plotlyWidgetModule(model); // compile now, before the first chart asks
        return;
      }
      const initial = {
        _widget_data: model.get("_widget_data"),
        _widget_layout: model.get("_widget_layout"),
      };
      const kept = keepSent(model);
      started = plotlyWidgetModule(model).then((module) => {
        kept.stop();
        const widget = module.default();
        widget.initialize(context);
        replay(model, initial, kept.received);
        return widget;
      });
    },
    async render(context) {
      return (await started).render(context);
    },
  };
};
