// Draws the time-to-decision histogram of the board into its inline SVG (no library).
(function () {
  "use strict";
  var svg = document.getElementById("decision-chart");
  var source = document.getElementById("decision-data");
  if (!svg || !source) { return; }
  var data = JSON.parse(source.textContent);
  var NS = "http://www.w3.org/2000/svg";
  var width = 600, height = 220, left = 40, bottom = 30, top = 15;
  var bins = data.bins;
  var max = Math.max.apply(null, bins.map(function (b) { return b.count; }).concat([1]));
  var slot = (width - left - 10) / bins.length;

  function el(name, attrs, text) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    svg.appendChild(node);
    return node;
  }
  function label(bin, index) {
    if (bin.upto === null) { return "> " + bins[index - 1].upto + " " + data.unit; }
    return "≤ " + bin.upto + " " + data.unit;
  }

  el("line", {x1: left, y1: height - bottom, x2: width - 5, y2: height - bottom, stroke: "#9aa5b1"});
  el("text", {x: left - 6, y: top + 4, "text-anchor": "end", "font-size": 11, fill: "#52606d"}, max);
  el("text", {x: left - 6, y: height - bottom, "text-anchor": "end", "font-size": 11, fill: "#52606d"}, 0);
  bins.forEach(function (bin, index) {
    var h = (height - bottom - top) * bin.count / max;
    var x = left + index * slot + slot * 0.15;
    var bar = el("rect", {x: x, y: height - bottom - h, width: slot * 0.7, height: h,
      fill: bin.upto !== null && bin.upto <= 120 ? "#0b5cad" : "#d97706", "class": "bar"});
    var title = document.createElementNS(NS, "title");
    title.textContent = label(bin, index) + ": " + bin.count;
    bar.appendChild(title);
    el("text", {x: x + slot * 0.35, y: height - bottom - h - 4, "text-anchor": "middle",
      "font-size": 12, fill: "#1d2530"}, bin.count);
    el("text", {x: x + slot * 0.35, y: height - 10, "text-anchor": "middle", "font-size": 11,
      fill: "#52606d"}, label(bin, index));
  });
})();
