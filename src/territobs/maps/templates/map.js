/* territobs interactive map runtime: decodes the packed geometry, draws it on
   Leaflet's Canvas renderer and builds legends and tooltips with DOM text
   nodes only (names from data can never become markup). */
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("territobs-data").textContent);
  var NNBSP = "\u202f", NBSP = "\u00a0";

  function fmt(v, d) {
    if (v === null || v === undefined) { return "n.d."; }
    var s = Math.pow(10, d);
    var r = Math.floor(Math.abs(v) * s + 0.5);
    var u = Math.floor(r / s), f = r - u * s;
    var t = String(u).replace(/\B(?=(\d{3})+(?!\d))/g, NNBSP);
    if (d > 0) { t += "," + String(f).padStart(d, "0"); }
    if (v < 0 && r !== 0) { t = "-" + t; }
    return t;
  }
  function withUnit(v, unit, d) {
    var t = fmt(v, d);
    return (unit && t !== "n.d.") ? t + NBSP + unit : t;
  }
  function diff(v, unit, d) {
    var u = unit === "%" ? (Math.abs(v) >= 2 ? "points" : "point") : unit;
    var t = withUnit(v, u, d);
    return (v > 0 && /[1-9]/.test(fmt(v, d))) ? "+" + t : t;
  }

  /* Decode the packed geometry into flat arrays: ll (lat, lng pairs),
     ring offsets, and for each feature its first ring and ring count. */
  function decode(g) {
    var str = g.c, pos = 0, x = g.o[0], y = g.o[1], q = g.q, s = g.s, k = 0;
    function num() {
      var r = 0, m = 1, b;
      do { b = str.charCodeAt(pos++) - 63; r += (b & 31) * m; m *= 32; } while (b >= 32);
      return (r % 2) ? -(r + 1) / 2 : r / 2;
    }
    var nVert = 0, nRing = 0, nFeat = 0;
    while (k < s.length) {  // first pass: sizes
      var np = s[k++]; nFeat++;
      for (var p = 0; p < np; p++) {
        var nr = s[k++];
        for (var r = 0; r < nr; r++) { nVert += s[k++]; nRing++; }
      }
    }
    var ll = new Float64Array(2 * nVert), ringStart = new Int32Array(nRing + 1),
        featRing = new Int32Array(nFeat + 1);
    var v = 0, ri = 0, f = 0; k = 0;
    while (k < s.length) {
      featRing[f++] = ri;
      var nParts = s[k++];
      for (var p2 = 0; p2 < nParts; p2++) {
        var nRings = s[k++];
        for (var r2 = 0; r2 < nRings; r2++) {
          var n = s[k++];
          ringStart[ri++] = v;
          for (var i = 0; i < n; i++) {
            x += num(); y += num();
            ll[2 * v] = y * q; ll[2 * v + 1] = x * q; v++;
          }
        }
      }
    }
    ringStart[ri] = v; featRing[f] = ri;
    return { ll: ll, ringStart: ringStart, featRing: featRing, n: nFeat };
  }
  /* Leaflet latlngs of one feature (a list of rings), for outlines. */
  function latlngs(geo, f) {
    var out = [];
    for (var r = geo.featRing[f]; r < geo.featRing[f + 1]; r++) {
      var ring = [];
      for (var v = geo.ringStart[r]; v < geo.ringStart[r + 1]; v++) {
        ring.push([geo.ll[2 * v], geo.ll[2 * v + 1]]);
      }
      out.push(ring);
    }
    return out;
  }

  var CLASS_CHARS = "0123456789abcdefghijklmnopqrstuvwxyz";
  function hatch() {
    var c = document.createElement("canvas");
    c.width = c.height = 8;
    var ctx = c.getContext("2d");
    ctx.fillStyle = DATA.secret; ctx.fillRect(0, 0, 8, 8);
    ctx.strokeStyle = "#ffffff"; ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.moveTo(0, 8); ctx.lineTo(8, 0);
    ctx.moveTo(-2, 2); ctx.lineTo(2, -2); ctx.moveTo(6, 10); ctx.lineTo(10, 6);
    ctx.stroke();
    return c;
  }
  var SECRET_FILL = null;

  function fillOf(layer, i) {
    var ch = layer.cls.charAt(i);
    if (ch === "*") { return SECRET_FILL; }
    if (ch === "-") { return DATA.missing; }
    return layer.colors[CLASS_CHARS.indexOf(ch)];
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  /* Leaflet's layers control writes layer names with innerHTML: escape them
     so that a label taken from data (a column name) stays text. */
  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return "&#" + c.charCodeAt(0) + ";";
    });
  }
  function row(table, label, value) {
    var tr = el("tr");
    tr.appendChild(el("th", null, label));
    tr.appendChild(el("td", null, value));
    table.appendChild(tr);
  }


  /* Names written on the map. Candidates are placed largest feature first;
     a name is dropped when its feature is too small for it at this zoom (the
     density rule) or when it would overlap a name already placed. Names are
     DOM text nodes (never markup), laid out again after each zoom or pan. */
  var FAMILY = "'DejaVu Sans', 'Segoe UI', Arial, sans-serif";
  var measure = document.createElement("canvas").getContext("2d");
  function labelSet(names, lab, cls, fit, font) {
    if (!names || !lab) { return null; }
    measure.font = font + " " + FAMILY;
    var widths = new Float64Array(names.length), els = new Array(names.length);
    for (var i = 0; i < names.length; i++) {
      widths[i] = names[i] ? measure.measureText(names[i]).width + 4 : 0;
    }
    return { names: names, lab: lab, cls: cls, fit: fit, widths: widths, els: els, shown: [] };
  }
  var labelSets = [];
  var labelPane = null, labelsOn = true;
  function layoutLabels() {
    if (!labelPane) { return; }
    var size = map.getSize(), placed = [], H = 16, PAD = 3, count = 0;
    var lat0 = map.getCenter().lat * D2R;
    var mpp = 40075016.686 * Math.cos(lat0) / (256 * Math.pow(2, map.getZoom()));
    labelSets.forEach(function (set) {
      set.shown.forEach(function (i) { set.els[i].style.display = "none"; });
      set.shown = [];
      if (!labelsOn || !set.visible()) { return; }
      var o = set.lab.o;
      for (var k = 0; k < o.length; k++) {
        var i = o[k], w = set.widths[i];
        if (!w) { continue; }
        var px = set.lab.s[i] / mpp;
        if (px < set.fit * 24) { break; }  // sorted by size: all the rest are smaller
        if (px < set.fit * w) { continue; }  // the density rule
        var p = map.latLngToContainerPoint([set.lab.lat[i], set.lab.lon[i]]);
        var box = [p.x - w / 2 - PAD, p.y - H / 2 - PAD, p.x + w / 2 + PAD, p.y + H / 2 + PAD];
        if (box[0] < 0 || box[1] < 0 || box[2] > size.x || box[3] > size.y) { continue; }
        var hit = false;
        for (var j = 0; j < placed.length; j++) {
          var q = placed[j];
          if (box[0] < q[2] && q[0] < box[2] && box[1] < q[3] && q[1] < box[3]) { hit = true; break; }
        }
        if (hit) { continue; }
        placed.push(box);
        var e = set.els[i];
        if (!e) {
          e = set.els[i] = el("div", "territobs-label " + set.cls, set.names[i]);
          labelPane.appendChild(e);
        }
        var lp = map.containerPointToLayerPoint(p);
        e.style.left = Math.round(lp.x - w / 2) + "px";
        e.style.top = Math.round(lp.y - H / 2) + "px";
        e.style.width = Math.ceil(w) + "px";
        e.style.display = "block";
        set.shown.push(i);
        count++;
      }
    });
    window.__territobs_labels = count;
  }

  var current = 0;
  function tooltip(i) {
    var L_ = DATA.layers[current], d = L_.decimals, box = el("div", "territobs-tip");
    var code = DATA.codes ? DATA.codes[i] : "";
    var title = DATA.names[i] + (code && code !== DATA.names[i] ? " (" + code + ")" : "");
    box.appendChild(el("div", "territobs-tip-title", title));
    var t = el("table");
    var ch = L_.cls.charAt(i);
    if (ch === "*") {
      row(t, L_.label, "secret statistique");
    } else if (ch === "-") {
      row(t, L_.label, "donnée manquante");
    } else {
      row(t, L_.label, withUnit(L_.v[i], L_.unit, d));
      if (L_.num) { row(t, L_.num_label, withUnit(L_.num[i], null, L_.num_decimals)); }
      if (L_.den) { row(t, L_.den_label, withUnit(L_.den[i], null, L_.num_decimals)); }
      if (L_.ref) {
        row(t, "Écart à " + L_.ref.label + " (" + withUnit(L_.ref.value, L_.unit, d) + ")",
            diff(L_.v[i] - L_.ref.value, L_.unit, d));
      }
    }
    if (L_.part && L_.part.indexOf(i) >= 0) {
      row(t, "État", "partielle" + (L_.cov && L_.cov[i] ? " : " + L_.cov[i] : ""));
    }
    if (L_.est && L_.est[i] !== null && L_.est[i] > 0) {
      row(t, "Part estimée", fmt(L_.est[i], 0) + NBSP + "%");
    }
    for (var e = 0; e < DATA.extra.length; e++) {
      row(t, DATA.extra[e][0], DATA.extra[e][1][i]);
    }
    box.appendChild(t);
    return box;
  }

  function legend(L_) {
    var box = el("div", "territobs-legend");
    box.appendChild(el("div", "territobs-legend-title",
      L_.label + (L_.unit ? " (" + L_.unit + ")" : "")));
    function item(label, color, cls) {
      var r = el("div", "territobs-legend-item");
      var sw = el("span", "territobs-swatch" + (cls ? " " + cls : ""));
      if (color) { sw.style.background = color; }
      r.appendChild(sw); r.appendChild(el("span", null, label));
      box.appendChild(r);
    }
    for (var c = L_.labels.length - 1; c >= 0; c--) { item(L_.labels[c], L_.colors[c]); }
    if (L_.cls.indexOf("*") >= 0) { item("secret statistique", null, "territobs-secret"); }
    if (L_.cls.indexOf("-") >= 0) { item("donnée manquante", DATA.missing, "territobs-missing"); }
    if (L_.part) { item("partielle (couverture incomplète)", null, "territobs-partial"); }
    if (L_.ref) {
      box.appendChild(el("div", "territobs-legend-ref",
        "Référence : " + (L_.ref.label === "la référence" ? "" : L_.ref.label + ", ") +
        withUnit(L_.ref.value, L_.unit, L_.decimals)));
    }
    return box;
  }

  /* All polygons drawn by one canvas layer: projected once to spherical
     Mercator, filled in one path per class, hit-tested with a grid index. */
  var R = 6378137, A = 0.5 / (Math.PI * R), D2R = Math.PI / 180, MAXLAT = 85.0511287798;
  var Choropleth = L.Renderer.extend({
    initialize: function (geo, options) {
      L.Renderer.prototype.initialize.call(this, options);
      var n = geo.ll.length / 2, m = new Float64Array(2 * n);
      for (var i = 0; i < n; i++) {
        var lat = Math.max(Math.min(geo.ll[2 * i], MAXLAT), -MAXLAT) * D2R;
        m[2 * i] = R * geo.ll[2 * i + 1] * D2R;
        m[2 * i + 1] = R * Math.log(Math.tan(Math.PI / 4 + lat / 2));
      }
      this._geo = geo; this._m = m;
      var bb = new Float64Array(4 * geo.n);
      for (var f = 0; f < geo.n; f++) {
        var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
        for (var v = geo.ringStart[geo.featRing[f]]; v < geo.ringStart[geo.featRing[f + 1]]; v++) {
          var x = m[2 * v], y = m[2 * v + 1];
          if (x < x0) { x0 = x; } if (x > x1) { x1 = x; }
          if (y < y0) { y0 = y; } if (y > y1) { y1 = y; }
        }
        bb[4 * f] = x0; bb[4 * f + 1] = y0; bb[4 * f + 2] = x1; bb[4 * f + 3] = y1;
      }
      this._bb = bb;
      this._index();
    },
    _index: function () {
      var bb = this._bb, n = this._geo.n, G = 128;
      var X0 = Infinity, Y0 = Infinity, X1 = -Infinity, Y1 = -Infinity;
      for (var f = 0; f < n; f++) {
        X0 = Math.min(X0, bb[4 * f]); Y0 = Math.min(Y0, bb[4 * f + 1]);
        X1 = Math.max(X1, bb[4 * f + 2]); Y1 = Math.max(Y1, bb[4 * f + 3]);
      }
      var cells = new Array(G * G), cw = (X1 - X0) / G || 1, ch = (Y1 - Y0) / G || 1;
      for (var g = 0; g < f; g++) {
        var i0 = Math.floor((bb[4 * g] - X0) / cw), i1 = Math.min(G - 1, Math.floor((bb[4 * g + 2] - X0) / cw));
        var j0 = Math.floor((bb[4 * g + 1] - Y0) / ch), j1 = Math.min(G - 1, Math.floor((bb[4 * g + 3] - Y0) / ch));
        for (var i = i0; i <= i1; i++) {
          for (var j = j0; j <= j1; j++) { (cells[j * G + i] = cells[j * G + i] || []).push(g); }
        }
      }
      this._grid = { cells: cells, X0: X0, Y0: Y0, cw: cw, ch: ch, G: G };
    },
    featureAt: function (latlng) {
      var lat = Math.max(Math.min(latlng.lat, MAXLAT), -MAXLAT) * D2R;
      var x = R * latlng.lng * D2R, y = R * Math.log(Math.tan(Math.PI / 4 + lat / 2));
      var g = this._grid, i = Math.floor((x - g.X0) / g.cw), j = Math.floor((y - g.Y0) / g.ch);
      if (i < 0 || j < 0 || i >= g.G || j >= g.G) { return -1; }
      var cand = g.cells[j * g.G + i] || [], m = this._m, geo = this._geo, bb = this._bb;
      for (var c = cand.length - 1; c >= 0; c--) {
        var f = cand[c];
        if (x < bb[4 * f] || x > bb[4 * f + 2] || y < bb[4 * f + 1] || y > bb[4 * f + 3]) { continue; }
        var inside = false;
        for (var r = geo.featRing[f]; r < geo.featRing[f + 1]; r++) {
          var a = geo.ringStart[r], b = geo.ringStart[r + 1];
          for (var v = a, w = b - 1; v < b; w = v++) {
            var yi = m[2 * v + 1], yj = m[2 * w + 1];
            if ((yi > y) !== (yj > y) &&
                x < (m[2 * w] - m[2 * v]) * (y - yi) / (yj - yi) + m[2 * v]) { inside = !inside; }
          }
        }
        if (inside) { return f; }
      }
      return -1;
    },
    _initContainer: function () {
      this._container = document.createElement("canvas");
      this._ctx = this._container.getContext("2d");
    },
    _destroyContainer: function () {
      L.DomUtil.remove(this._container);
      delete this._ctx; delete this._container;
    },
    _update: function () {
      if (this._map._animatingZoom && this._bounds) { return; }
      L.Renderer.prototype._update.call(this);
      var b = this._bounds, size = b.getSize(), r = window.devicePixelRatio || 1, c = this._container;
      L.DomUtil.setPosition(c, b.min);
      c.width = r * size.x; c.height = r * size.y;
      c.style.width = size.x + "px"; c.style.height = size.y + "px";
      this._ctx.setTransform(r, 0, 0, r, 0, 0);
      this._ctx.translate(-b.min.x, -b.min.y);
      this.redraw();
    },
    redraw: function () {
      if (!this._map) { return; }
      var ctx = this._ctx, map = this._map, geo = this._geo, m = this._m, bb = this._bb;
      var scale = 256 * Math.pow(2, map.getZoom()), o = map.getPixelOrigin();
      var kx = scale * A, ox = scale * 0.5 - o.x, oy = scale * 0.5 - o.y;
      var b = this._bounds, pad = 2;
      var vx0 = (b.min.x - pad - ox) / kx, vx1 = (b.max.x + pad - ox) / kx;
      var vy1 = -(b.min.y - pad - oy) / kx, vy0 = -(b.max.y + pad - oy) / kx;
      ctx.clearRect(b.min.x, b.min.y, b.max.x - b.min.x, b.max.y - b.min.y);
      var lay = DATA.layers[current], groups = {}, order = [];
      for (var f = 0; f < geo.n; f++) {
        if (bb[4 * f + 2] < vx0 || bb[4 * f] > vx1 || bb[4 * f + 3] < vy0 || bb[4 * f + 1] > vy1) { continue; }
        var ch = lay.cls.charAt(f);
        if (!groups[ch]) { groups[ch] = []; order.push(ch); }
        groups[ch].push(f);
      }
      ctx.lineWidth = 0.5; ctx.strokeStyle = "rgba(255,255,255,0.9)";
      for (var gi = 0; gi < order.length; gi++) {
        var list = groups[order[gi]];
        ctx.fillStyle = fillOf(lay, list[0]);
        for (var li = 0; li < list.length; li++) {
          var g = list[li];
          ctx.beginPath();
          for (var r = geo.featRing[g]; r < geo.featRing[g + 1]; r++) {
            var lx = NaN, ly = NaN;
            for (var v = geo.ringStart[r]; v < geo.ringStart[r + 1]; v++) {
              var px = Math.round(m[2 * v] * kx + ox), py = Math.round(oy - m[2 * v + 1] * kx);
              if (px === lx && py === ly) { continue; }
              if (v === geo.ringStart[r]) { ctx.moveTo(px, py); } else { ctx.lineTo(px, py); }
              lx = px; ly = py;
            }
            ctx.closePath();
          }
          ctx.fill("evenodd");
          ctx.stroke();
        }
      }
      if (lay.part) {  // partial figures: a dashed dark outline
        ctx.save();
        ctx.setLineDash([4, 3]); ctx.lineWidth = 1.6; ctx.strokeStyle = "#222222";
        for (var pi = 0; pi < lay.part.length; pi++) {
          var pf = lay.part[pi];
          ctx.beginPath();
          for (var pr = geo.featRing[pf]; pr < geo.featRing[pf + 1]; pr++) {
            for (var pv = geo.ringStart[pr]; pv < geo.ringStart[pr + 1]; pv++) {
              var qx = Math.round(m[2 * pv] * kx + ox), qy = Math.round(oy - m[2 * pv + 1] * kx);
              if (pv === geo.ringStart[pr]) { ctx.moveTo(qx, qy); } else { ctx.lineTo(qx, qy); }
            }
            ctx.closePath();
          }
          ctx.stroke();
        }
        ctx.restore();
      }
    }
  });

  var map = L.map("territobs-map", {
    preferCanvas: true, zoomSnap: 0.25, attributionControl: false
  });
  var b = DATA.view || DATA.geom.b;
  map.fitBounds([[b[1], b[0]], [b[3], b[2]]]);
  if (DATA.tiles) {
    L.tileLayer(DATA.tiles.url, { attribution: DATA.tiles.attribution }).addTo(map);
    L.control.attribution({ prefix: false }).addTo(map);
  }
  SECRET_FILL = document.createElement("canvas").getContext("2d")
    .createPattern(hatch(), "repeat");

  var T = { start: performance.now() };
  var geo = decode(DATA.geom);
  T.decoded = performance.now();
  var fills = new Choropleth(geo, { padding: 0.3 });
  fills.addTo(map);
  T.added = performance.now();

  var highlight = null, hovered = -1, svg = L.svg({ padding: 0.3 });
  var tip = L.tooltip({ direction: "top", offset: [0, -10], className: "territobs-tooltip" });
  map.on("mousemove", function (e) {
    var f = fills.featureAt(e.latlng);
    if (f !== hovered) {
      hovered = f;
      if (highlight) { map.removeLayer(highlight); highlight = null; }
      if (f >= 0) {
        highlight = L.polygon(latlngs(geo, f), { fill: false, color: "#222222", weight: 2.5, interactive: false, renderer: svg }).addTo(map);
        tip.setContent(tooltip(f));
      }
    }
    if (f >= 0) {
      tip.setLatLng(e.latlng);
      if (!map.hasLayer(tip)) { map.openTooltip(tip); }
    } else if (map.hasLayer(tip)) {
      map.closeTooltip(tip);
    }
  });
  map.on("mouseout", function () {
    hovered = -1;
    if (highlight) { map.removeLayer(highlight); highlight = null; }
    map.closeTooltip(tip);
  });
  function styleAll() { fills.redraw(); }

  var legendControl = L.control({ position: "bottomright" });
  legendControl.onAdd = function () {
    this._div = el("div", "territobs-legend-box");
    this._div.appendChild(legend(DATA.layers[current]));
    L.DomEvent.disableScrollPropagation(this._div);
    return this._div;
  };
  legendControl.update = function () {
    this._div.replaceChildren(legend(DATA.layers[current]));
  };
  legendControl.addTo(map);

  var baseLayers = {}, overlays = {};
  DATA.layers.forEach(function (lay, n) {
    var g = L.layerGroup();
    g._territobs = n;
    baseLayers[esc(lay.label)] = g;
    if (n === 0) { g.addTo(map); }
  });
  map.on("baselayerchange", function (e) {
    current = e.layer._territobs;
    styleAll();
    legendControl.update();
  });

  var mainLabels = labelSet(DATA.names, DATA.geom.lab, "territobs-label-zone", 0.8, "600 12px");
  if (mainLabels) { mainLabels.visible = function () { return true; }; labelSets.push(mainLabels); }
  DATA.outlines.forEach(function (o) {
    var group = L.featureGroup(), og = decode(o.geom);
    for (var f = 0; f < og.n; f++) {
      L.polygon(latlngs(og, f), { fill: false, color: o.color, weight: o.weight, interactive: false }).addTo(group);
    }
    group.addTo(map);
    overlays[esc(o.label)] = group;
    var set = labelSet(o.names, o.geom.lab, "territobs-label-context", 0.8, "italic 11px");
    if (set) { set.visible = function () { return map.hasLayer(group); }; labelSets.push(set); }
  });
  if (labelSets.length) {
    labelPane = map.createPane("territobs-labels");
    labelPane.style.zIndex = 450;
    labelPane.style.pointerEvents = "none";
    var toggle = L.layerGroup();
    toggle.onAdd = function () { labelsOn = true; layoutLabels(); };
    toggle.onRemove = function () { labelsOn = false; layoutLabels(); };
    toggle.addTo(map);
    overlays["Noms"] = toggle;
    map.on("zoomstart", function () { labelPane.style.visibility = "hidden"; });
    map.on("zoomend moveend resize overlayadd overlayremove", function () {
      labelPane.style.visibility = "visible";
      layoutLabels();
    });
    layoutLabels();
  }
  var pointPane = map.createPane("territobs-points");
  pointPane.style.zIndex = 460;  // above the names
  var pointRenderer = L.canvas({ pane: "territobs-points" });
  DATA.points.forEach(function (pt) {
    var group = L.featureGroup();
    for (var j = 0; j < pt.lat.length; j++) {
      var m = L.circleMarker([pt.lat[j], pt.lon[j]], { radius: 5, color: "#ffffff", weight: 1.5, fillColor: pt.color, fillOpacity: 1, pane: "territobs-points", renderer: pointRenderer });
      if (pt.names) { m.bindTooltip(el("span", null, pt.names[j])); }
      m.addTo(group);
    }
    group.addTo(map);
    overlays[esc(pt.label)] = group;
  });
  if (DATA.layers.length > 1 || Object.keys(overlays).length > 0) {
    L.control.layers(DATA.layers.length > 1 ? baseLayers : {}, overlays, { collapsed: false }).addTo(map);
  }
  L.control.scale({ imperial: false }).addTo(map);

  window.__territobs_map = map;
  requestAnimationFrame(function () {
    requestAnimationFrame(function () {
      map.invalidateSize();
      layoutLabels();  // the map's size is known once laid out
      T.drawn = performance.now();
      window.__territobs_timing = T;
      window.__territobs_ready = T.drawn;
    });
  });
})();
