// What the desktop Camunda Modeler needs of every diagram under bpmn/, checked with the libraries it reads them
// with (bpmn-moddle and the camunda-bpmn-moddle descriptor, from node_modules), and the honest size of the region
// packs: their lines as stored and after the Modeler's own re-save (bpmn-moddle toXML with format: true).
//
//   node tests/bpmn/modeler_check.mjs [ROOT]        a report for people; exit status 1 on any problem
//   node tests/bpmn/modeler_check.mjs --json [ROOT] the same as one JSON object (tests/bpmn/test_modeler.py)
//
// A problem is: an import warning (unknown element or attribute, unresolved reference, duplicate id), a flow
// element without a BPMNShape or BPMNEdge (the Modeler would not draw it), an id used twice in a file, a file
// the re-save cannot write, or a region file byte-identical to a national file or another region's file.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

import { BpmnModdle } from 'bpmn-moddle';
import camundaDescriptor from 'camunda-bpmn-moddle/resources/camunda.json' with { type: 'json' };

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const root = resolve(args.find((a) => a !== '--json') || '.');
const NATIONAL = 'national';

function walk(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
}

function lineCount(text) {
  return text.split('\n').filter((line, i, all) => i < all.length - 1 || line !== '').length;
}

// Every flow element of a process, sub-processes included (data objects have no drawing of their own).
function flowElements(container) {
  const found = [];
  for (const element of container.flowElements || []) {
    if (element.$type === 'bpmn:DataObject') continue;
    found.push(element);
    if (element.flowElements) found.push(...flowElements(element));
  }
  for (const artifact of container.artifacts || []) found.push(artifact);
  return found;
}

function drawnIds(definitions) {
  const drawn = new Set();
  for (const diagram of definitions.diagrams || []) {
    const plane = diagram.plane;
    if (!plane) continue;
    if (plane.bpmnElement) drawn.add(plane.bpmnElement.id);
    for (const di of plane.planeElement || []) {
      if (di.bpmnElement) drawn.add(di.bpmnElement.id);
    }
  }
  return drawn;
}

async function checkFile(moddle, path, text) {
  const problems = [];
  const { rootElement, warnings } = await moddle.fromXML(text, 'bpmn:Definitions');
  for (const warning of warnings) problems.push(`import warning: ${warning.message}`);
  const counts = new Map();
  for (const match of text.matchAll(/\sid="([^"]*)"/g)) counts.set(match[1], (counts.get(match[1]) || 0) + 1);
  for (const [id, n] of counts) if (n > 1) problems.push(`id ${id} is used ${n} times`);
  const drawn = drawnIds(rootElement);
  const processes = (rootElement.rootElements || []).filter((e) => e.$type === 'bpmn:Process');
  if (processes.length && !(rootElement.diagrams || []).length) problems.push('no BPMNDiagram');
  for (const process of processes) {
    if (!drawn.has(process.id)) problems.push(`process ${process.id} has no BPMNPlane`);
    for (const element of flowElements(process)) {
      if (!drawn.has(element.id)) {
        const kind = element.$type === 'bpmn:SequenceFlow' ? 'BPMNEdge' : 'BPMNShape';
        problems.push(`${element.$type} ${element.id} has no ${kind}`);
      }
    }
  }
  let formatted = null;
  try {
    formatted = (await moddle.toXML(rootElement, { format: true })).xml;
  } catch (err) {
    problems.push(`re-save failed: ${err.message}`);
  }
  return { problems, formattedLines: formatted === null ? null : lineCount(formatted) };
}

async function main() {
  const moddle = new BpmnModdle({ camunda: camundaDescriptor });
  const files = {};
  const problems = [];
  const regions = {};
  let checked = 0;
  for (const top of ['bpmn', 'forms']) {
    const dir = join(root, top);
    for (const path of walk(dir)) files[relative(root, path)] = readFileSync(path);
  }
  for (const [name, bytes] of Object.entries(files)) {
    if (!name.startsWith('bpmn/') || !name.endsWith('.bpmn')) continue;
    const text = bytes.toString('utf8');
    const result = await checkFile(moddle, name, text);
    checked += 1;
    for (const problem of result.problems) problems.push(`${name}: ${problem}`);
    const region = name.split('/')[1];
    if (region === NATIONAL) continue;
    const entry = (regions[region] ||= { files: 0, stored_lines: 0, formatted_lines: 0 });
    entry.files += 1;
    entry.stored_lines += lineCount(text);
    entry.formatted_lines += result.formattedLines || 0;
  }
  // a region's file (diagram, form or settings) that is byte for byte a file of the template or of another region
  const identical = [];
  for (const [name, bytes] of Object.entries(files)) {
    const [top, region] = name.split('/');
    if (region === NATIONAL || !/\.(bpmn|dmn|json)$/.test(name)) continue;
    for (const [other, otherBytes] of Object.entries(files)) {
      if (other.split('/')[1] === region || other.split('/')[0] !== top) continue;
      if (bytes.equals(otherBytes)) identical.push([name, other]);
    }
  }
  for (const [name, other] of identical) problems.push(`${name}: byte-identical to ${other}`);
  const total = Object.values(regions).reduce(
    (sum, r) => ({ stored_lines: sum.stored_lines + r.stored_lines, formatted_lines: sum.formatted_lines + r.formatted_lines }),
    { stored_lines: 0, formatted_lines: 0 },
  );
  const report = { files_checked: checked, regions, total, identical_files: identical.length, identical, problems };
  if (asJson) {
    process.stdout.write(JSON.stringify(report) + '\n');
  } else {
    console.log('region      files  lines stored  lines after a Modeler re-save');
    for (const [region, r] of Object.entries(regions)) {
      console.log(`${region.padEnd(10)} ${String(r.files).padStart(6)} ${String(r.stored_lines).padStart(13)} ${String(r.formatted_lines).padStart(30)}`);
    }
    console.log(`${'total'.padEnd(17)} ${String(total.stored_lines).padStart(13)} ${String(total.formatted_lines).padStart(30)}`);
    console.log(`region files byte-identical to another file: ${identical.length}`);
    for (const problem of problems) console.log(`PROBLEM ${problem}`);
  }
  process.exitCode = problems.length ? 1 : 0;
}

await main();
