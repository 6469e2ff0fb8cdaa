// plotly's FigureWidget front end, compiled once per page and never started late.
//
// plotly ships its widget as one 5 MB module that anywidget compiles anew for every
// chart, and anywidget gives each chart 2 seconds to start; a chart that takes longer
// never takes another update. Compiling took about that long on a 2-core machine.
// Here the module's text travels as a string (cheap to parse) and is compiled once per
// page (by the preload the notebook package opens at import, or by the first chart).
// A chart starts at once: until the module is there it keeps, in order, what Python
// sends, then hands it to plotly's own model as if it had just arrived.
const BUNDLE = __BUNDLE__;
const KEY = "__dunning_analytics_plotly_" + "__DIGEST__";

function plotlyWidgetModule() {
  if (!globalThis[KEY]) {
    const url = URL.createObjectURL(new Blob([BUNDLE], { type: "text/javascript" }));
    globalThis[KEY] = import(url).finally(() => URL.revokeObjectURL(url));
  }
  return globalThis[KEY];
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
        plotlyWidgetModule(); // compile now, before the first chart asks
        return;
      }
      const initial = {
        _widget_data: model.get("_widget_data"),
        _widget_layout: model.get("_widget_layout"),
      };
      const received = [];
      const keep = () => received.push({ ...model.changedAttributes() });
      model.on("change", keep);
      started = plotlyWidgetModule().then((module) => {
        model.off("change", keep);
        const widget = module.default();
        widget.initialize(context);
        replay(model, initial, received);
        return widget;
      });
    },
    async render(context) {
      return (await started).render(context);
    },
  };
};
