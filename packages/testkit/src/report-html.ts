// A self-contained HTML report: a grid of cases by implementation, a colour
// per verdict, click a cell for the reason and the observed trace.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunReport } from './result.js';
import { toJsonReport } from './report-json.js';

const COLOURS = { pass: '#2e9e44', 'non-strict': '#d9a400', fail: '#d2322d', unimplemented: '#7a7a7a', informational: '#3b7dd8' };

/** Render the HTML report for some runs. */
export function renderHtmlReport(runs: readonly RunReport[]): string {
  // `<` escaped so no payload text can end the script element.
  const data = JSON.stringify(toJsonReport(runs)).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>framewire-testkit report</title>
<style>
body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#222}
table{border-collapse:collapse}td,th{padding:2px 6px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
th{position:sticky;top:0;background:#fff}
.cell{display:inline-block;width:16px;height:16px;border-radius:3px;cursor:pointer}
.area{background:#f4f4f4;font-weight:600}
#detail{position:fixed;right:0;top:0;bottom:0;width:45%;overflow:auto;background:#fafafa;border-left:1px solid #ccc;padding:12px;display:none;white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:12px}
.legend span{display:inline-block;margin-right:12px}
</style></head><body>
<h1>framewire-testkit report</h1>
<p class="legend">${Object.entries(COLOURS).map(([v, c]) => `<span><span class="cell" style="background:${c}"></span> ${v}</span>`).join('')}</p>
<div id="summary"></div>
<div id="grid"></div>
<div id="detail"></div>
<script type="application/json" id="data">${data}</script>
<script>
const COLOURS=${JSON.stringify(COLOURS)};
const doc=JSON.parse(document.getElementById('data').textContent);
const runs=doc.runs;
const esc=(s)=>String(s).replace(/[&<>"]/g,(c)=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
const byRun=runs.map((r)=>new Map(r.results.map((x)=>[x.id,x])));
let s='<table><tr><th>implementation</th><th>mode</th>'+Object.keys(COLOURS).map((v)=>'<th>'+v+'</th>').join('')+'<th>time</th></tr>';
for(const r of runs){s+='<tr><td>'+esc(r.target)+'</td><td>'+r.mode+'</td>'+Object.keys(COLOURS).map((v)=>'<td>'+r.counts[v]+'</td>').join('')+'<td>'+(r.durationMs/1000).toFixed(1)+' s</td></tr>';}
document.getElementById('summary').innerHTML=s+'</table><h2>cases</h2>';
let g='<table><tr><th>case</th>'+runs.map((r)=>'<th>'+esc(r.target)+'<br>'+r.mode+'</th>').join('')+'<th>title</th></tr>';
let area='';
for(const c of doc.cases){
  if(c.area!==area){area=c.area;g+='<tr class="area"><td colspan="'+(runs.length+2)+'">'+esc(area)+'</td></tr>';}
  g+='<tr><td>'+esc(c.id)+'</td>'+byRun.map((m,i)=>{const x=m.get(c.id);return '<td>'+(x?'<span class="cell" title="'+x.verdict+'" style="background:'+COLOURS[x.verdict]+'" data-run="'+i+'" data-id="'+esc(c.id)+'"></span>':'')+'</td>';}).join('')+'<td>'+esc(c.title)+'</td></tr>';
}
document.getElementById('grid').innerHTML=g+'</table>';
const cases=new Map(doc.cases.map((c)=>[c.id,c]));
document.getElementById('grid').addEventListener('click',(e)=>{
  const el=e.target.closest('.cell');if(!el)return;
  const x=byRun[Number(el.dataset.run)].get(el.dataset.id);const c=cases.get(el.dataset.id);const r=runs[Number(el.dataset.run)];
  const d=document.getElementById('detail');d.style.display='block';
  d.innerHTML='<b>'+esc(x.id)+'</b> on '+esc(r.target)+' ('+r.mode+')\\n<b>verdict:</b> '+x.verdict+'\\n<b>reason:</b> '+esc(x.reason)+'\\n<b>'+esc(c.rfc)+'</b>: '+esc(c.title)+'\\n<b>rules:</b> '+esc(c.rules)+'\\n<b>time:</b> '+x.durationMs+' ms\\n\\n'+(x.trace?x.trace.map((t)=>String(t.t).padStart(8)+' '+t.dir+' '+esc(t.text)).join('\\n'):'(trace kept only for verdicts other than pass)');
});
</script></body></html>
`;
}

/** Write `report.html` into `dir` (created if needed); returns the file path. */
export function writeHtmlReport(dir: string, runs: readonly RunReport[]): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'report.html');
  writeFileSync(path, renderHtmlReport(runs));
  return path;
}
