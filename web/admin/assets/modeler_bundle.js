// Entry of the admin modeler bundle, built by `npm run build` (make setup) into web/admin/static/build/.
// bpmn-js's modeler with the Camunda 7 properties panel, behaviours and moddle extension: these ship as
// ES modules only, so esbuild bundles them into one script that exposes window.ZhenggaiModeler.
import BpmnModeler from "bpmn-js/lib/Modeler";
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule,
} from "bpmn-js-properties-panel";
import CamundaBehaviorsModule from "camunda-bpmn-js-behaviors/lib/camunda-platform";
import camundaModdle from "camunda-bpmn-moddle/resources/camunda.json";

// diagram-js's translate service, fed the page's dictionary (the catalog's words for the panel's English texts)
function translation(terms) {
  const translate = (template, replacements) => (terms[template] || template).replace(
    /{([^}]+)}/g, (all, key) => (replacements && key in replacements ? replacements[key] : all));
  return { translate: ["value", translate] };
}

window.ZhenggaiModeler = {
  create(container, panel, terms) {
    return new BpmnModeler({
      container,
      propertiesPanel: { parent: panel },
      additionalModules: [
        BpmnPropertiesPanelModule,
        BpmnPropertiesProviderModule,
        CamundaPlatformPropertiesProviderModule,
        CamundaBehaviorsModule,
        translation(terms || {}),
      ],
      moddleExtensions: { camunda: camundaModdle },
    });
  },
};
