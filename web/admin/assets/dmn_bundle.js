// Entry of the admin decision-table bundle, built by `npm run build` into web/admin/static/build/dmn.js.
// dmn-js's own UMD "production" file carries Inferno's development build (a console warning and slower tables);
// bundling dmn-js's modeler with NODE_ENV=production gives Inferno's production build. Exposes window.DmnJS.
import DmnModeler from "dmn-js/lib/Modeler";

window.DmnJS = DmnModeler;
