// The book's small script (Jupyter Book adds every .js file in _static/ to every page).
//
// Figures: each figure of a chapter (a notebook's image output) becomes a link to its
// full-size image, so a reader can open it alone and zoom; and it is never shown below 60 %
// of its drawn width, so the book style's 10 pt text (13.9 px at 100 dpi) stays >= 8 px
// high.  Where the column is narrower than that (a phone), the figure scrolls sideways in
// its own box (custom.css).  tests/test_website.py checks both.
(function () {
  "use strict";
  var MIN_SCALE = 0.6;

  function figureImages() {
    return Array.prototype.filter.call(
      document.querySelectorAll("article.bd-article img"),
      function (img) {
        return !img.closest(".animation, a, .sd-card, .logo__image");
      });
  }

  function fix(img) {
    if (!img.naturalWidth) return;
    img.style.minWidth = Math.round(MIN_SCALE * img.naturalWidth) + "px";
    if (img.closest("a")) return;
    var link = document.createElement("a");
    link.className = "figure-zoom";
    link.href = img.currentSrc || img.src;
    link.target = "_blank";
    link.rel = "noopener";
    link.title = "Open the figure at full size";
    link.setAttribute("aria-label", "Open at full size: " + (img.alt || "figure"));
    img.parentNode.insertBefore(link, img);
    link.appendChild(img);
  }

  function run() {
    figureImages().forEach(function (img) {
      if (img.complete) fix(img);
      else img.addEventListener("load", function () { fix(img); }, { once: true });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
})();

// Search results: the snippet under each result is cut from the page's main element, which
// also holds the page's buttons and its contents list, and each formula would come out as
// the text of KaTeX's HTML followed by that of its MathML (the glyphs twice, then the TeX).
// On the search page, Sphinx's htmlToText is given the article alone, with display formulas
// as "…" and inline ones as plain text made from their TeX (the MathML's annotation: no
// backslashes or braces); and a page
// found by its title and by its first heading is listed once.
(function () {
  "use strict";
  function plainTex(tex) {
    return tex.replace(/^\s*\\\(|\\\)\s*$/g, "")
              .replace(/\\(mathbf|mathrm|boldsymbol|operatorname|text|mathcal)\s*/g, "")
              .replace(/\\([A-Za-z]+)/g, "$1").replace(/\\[,;!: ]/g, " ")
              .replace(/[{}]/g, "").replace(/\s+/g, " ").trim();
  }
  function install() {
    if (typeof Search === "undefined" || !Search.htmlToText || Search.__nnbook) return;
    var original = Search.htmlToText;
    Search.htmlToText = function (htmlString, anchor) {
      var doc = new DOMParser().parseFromString(htmlString, "text/html");
      doc.querySelectorAll(".bd-header-article, .bd-sidebar-secondary, .prev-next-area, " +
                           "footer, #jb-print-docs-body, .cell_input, details.hide > summary, " +
                           "button, .sd-btn").forEach(function (el) { el.remove(); });
      doc.querySelectorAll("div.math").forEach(function (el) { el.textContent = " … "; });
      doc.querySelectorAll("span.math").forEach(function (el) {
        var tex = el.querySelector('annotation[encoding="application/x-tex"]');
        el.textContent = plainTex(tex ? tex.textContent : el.textContent);
      });
      return original(doc.documentElement.outerHTML, anchor);
    };
    // A page's title and its first heading (the same words, the same link) both matched:
    // one result per link, the best-scoring one (Sphinx keeps the best last).
    if (Search._performSearch) {
      var perform = Search._performSearch;
      Search._performSearch = function () {
        var results = perform.apply(this, arguments), seen = {}, kept = [];
        for (var i = results.length - 1; i >= 0; i--) {
          var key = results[i][0] + "#" + (results[i][2] || "");
          if (!seen[key]) { seen[key] = true; kept.push(results[i]); }
        }
        return kept.reverse();
      };
    }
    Search.__nnbook = true;
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", install);
  else install();
})();

// Tab stops on code blocks and outputs that scroll sideways (so a keyboard can scroll them),
// as pydata-sphinx-theme sets them, but a few at a time while the browser is idle.  The
// theme checked them all in one go when the page loaded; reading one element's scrollWidth
// lays out the block around it, and reading all of them laid out the whole page at once,
// formulas included (a 0.6-0.8 s freeze at phone speed).  Its call is removed from its
// script when the site is built (_ext/book_fixes.py, fix 14); tests/test_website.py checks
// that each scrollable block becomes a Tab stop and that no other one does.
(function () {
  "use strict";
  var SCROLLABLE = ["pre", ".nboutput > .output_area", ".cell_output > .output",
                    ".jp-RenderedHTMLCommon", ".pst-scrollable-table-container"].join(", ");
  var whenIdle = window.requestIdleCallback || function (work) {      // Safari
    return setTimeout(function () {
      var start = Date.now();
      work({didTimeout: false,
            timeRemaining: function () { return Math.max(0, 10 - (Date.now() - start)); }});
    }, 16);
  };
  var root = document.documentElement, queue = [], scheduled = false, timer = null;
  var width = window.innerWidth;

  function setTabStop(el) {
    // Hidden code (a closed "Show code cell source") is no Tab stop, and is not laid out to
    // find out; it is checked when it is opened (below).
    var stop = !el.closest("details:not([open])") &&
               (el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight) ? 0 : -1;
    if (el.tabIndex !== stop || !el.hasAttribute("tabindex")) el.tabIndex = stop;
  }
  function work(deadline) {
    scheduled = false;
    // one or more while the browser is idle; when a busy page kept it from ever being idle
    // (called after the timeout), for up to 20 ms
    var until = Date.now() + 20;
    while (queue.length) {
      setTabStop(queue.shift());
      if (deadline.didTimeout ? Date.now() >= until : deadline.timeRemaining() <= 2) break;
    }
    if (queue.length) schedule();
    else root.dataset.tabStops = "set";         // tests/test_website.py waits for this
  }
  function schedule() {
    delete root.dataset.tabStops;
    if (!scheduled && queue.length) { scheduled = true; whenIdle(work, {timeout: 2000}); }
    else if (!queue.length) root.dataset.tabStops = "set";
  }
  function checkAll() {
    queue = Array.prototype.slice.call(document.querySelectorAll(SCROLLABLE));
    schedule();
  }
  function checkAllSoon() {
    delete root.dataset.tabStops;
    clearTimeout(timer);
    timer = setTimeout(checkAll, 300);
  }

  function start() {
    checkAll();
    window.addEventListener("resize", function () {   // not when a phone's address bar hides
      if (window.innerWidth !== width) { width = window.innerWidth; checkAllSoon(); }
    });
    document.addEventListener("toggle", function (event) {    // a hidden cell opened
      if (!event.target.open || !event.target.querySelectorAll) return;
      queue = queue.concat(Array.prototype.slice.call(event.target.querySelectorAll(SCROLLABLE)));
      schedule();
    }, true);
    var main = document.getElementById("main-content");     // cells that Thebe makes live
    if (main) new MutationObserver(checkAllSoon).observe(main, {subtree: true, childList: true});
  }
  if (document.readyState === "complete") start();
  else window.addEventListener("load", start);
})();

// Previews of references within a page: pointing at "(5.2)", "Fig. 5.1", "Exercise 5.2" or
// a section's name (or reaching it with Tab) shows what it refers to, without leaving the
// sentence: the equation, the figure and its caption, the exercise's first paragraph, the
// section's heading and first paragraph.  The preview is a copy of what is already on the
// page, made when asked for, so it costs no download and no work while the page loads
// (sphinx-tippy, which does this for every link, added 200-460 KiB and a 1 s task per chapter
// at phone speed).  A reference to another page is left a plain link.  Touch screens get no
// preview (a tap follows the link).  tests/test_website.py checks it.
(function () {
  "use strict";
  var DELAY = 250, tip = null, owner = null, showTimer = null, hideTimer = null;

  function targetOf(link) {
    var href = link.getAttribute("href") || "";
    if (href.charAt(0) !== "#" || href.length < 2) return null;
    try { return document.getElementById(decodeURIComponent(href.slice(1))); }
    catch (e) { return null; }
  }

  function copyOf(el) {
    var copy = el.cloneNode(true), each = function (selector, f) {
      if (copy.matches(selector)) f(copy);
      Array.prototype.forEach.call(copy.querySelectorAll(selector), f);
    };
    each("[id]", function (x) { x.removeAttribute("id"); });
    each("a.headerlink", function (x) { x.remove(); });
    each("a, button, summary, [tabindex]", function (x) { x.setAttribute("tabindex", "-1"); });
    each("img", function (img) { img.style.minWidth = ""; img.removeAttribute("loading"); });
    return copy;
  }

  // what a preview of the target shows: a list of elements to copy, or null for no preview
  function partsOf(target) {
    // a label written before a heading (MyST's "(name)=") is an empty span inside the section
    if (target.matches("span:empty") && target.parentElement.matches("section")) {
      target = target.parentElement;
    }
    if (target.matches("div.math")) return [target];
    if (target.matches("figure")) {
      var img = target.querySelector("img"), caption = target.querySelector("figcaption");
      return img ? [img].concat(caption ? [caption] : []) : null;
    }
    if (target.matches(".admonition")) {
      var title = target.querySelector(".admonition-title");
      var first = target.querySelector(".admonition-title ~ * p, .admonition-title ~ p");
      return title ? [title].concat(first ? [first] : []) : null;
    }
    if (target.matches("section")) {
      var heading = target.querySelector("h1, h2, h3, h4, h5, h6");
      var para = target.querySelector(":scope > p");
      return heading ? [heading].concat(para ? [para] : []) : null;
    }
    return null;
  }

  function topOfWindow() {         // below the page's sticky bar of buttons
    var bar = document.querySelector(".bd-header-article");
    return bar ? Math.max(0, bar.getBoundingClientRect().bottom) : 0;
  }

  function place(link) {           // below the reference, or above it where there is more room
    var r = link.getBoundingClientRect(), gap = 6, margin = 8;
    var vw = document.documentElement.clientWidth, vh = window.innerHeight;
    tip.style.maxHeight = ""; tip.style.left = "0px"; tip.style.top = "0px";   // measured free
    var box = tip.getBoundingClientRect(), height = box.height, width = box.width;
    var below = vh - r.bottom - gap - margin, above = r.top - gap - Math.max(margin, topOfWindow());
    var down = height <= below || below >= above, room = Math.max(0, down ? below : above);
    if (height > room) { tip.style.maxHeight = room + "px"; height = room; }
    tip.style.top = (down ? r.bottom + gap : r.top - gap - height) + "px";
    tip.style.left = Math.min(Math.max(margin, r.left), Math.max(margin, vw - width - margin)) + "px";
  }

  // The preview is for the eyes only (aria-hidden): a screen reader reaches the target by
  // following the link, and would otherwise hear a copy of a whole paragraph or figure as
  // the link's description.
  function show(link) {
    hide();
    var target = targetOf(link), parts = target && partsOf(target);
    if (!parts) return;
    tip = document.createElement("div");
    tip.className = "ref-preview";
    tip.setAttribute("aria-hidden", "true");
    parts.forEach(function (part) { tip.appendChild(copyOf(part)); });
    tip.addEventListener("pointerenter", function () { clearTimeout(hideTimer); });
    tip.addEventListener("pointerleave", hideSoon);
    Array.prototype.forEach.call(tip.querySelectorAll("img"), function (img) {
      if (!img.complete) img.addEventListener("load", function () { if (owner) place(owner); });
    });
    document.body.appendChild(tip);
    owner = link;
    place(link);
  }

  function hide() {
    clearTimeout(showTimer); clearTimeout(hideTimer);
    if (tip) { tip.remove(); tip = null; }
    owner = null;
  }
  // leaving the link or the preview: gone after a moment (time to move from one to the
  // other), unless the keyboard is on the link
  function hideSoon() {
    clearTimeout(hideTimer);
    if (owner && owner === document.activeElement && focusVisible(owner)) return;
    hideTimer = setTimeout(hide, 200);
  }

  function focusVisible(el) {
    try { return el.matches(":focus-visible"); } catch (e) { return false; }   // old Safari
  }

  function referenceAt(event) {
    var link = event.target.closest && event.target.closest("article.bd-article a.reference.internal");
    return link && targetOf(link) ? link : null;
  }

  document.addEventListener("pointerover", function (event) {
    if (event.pointerType === "touch") return;     // a tap follows the link
    var link = referenceAt(event);
    if (!link) return;
    if (link === owner) { clearTimeout(hideTimer); return; }
    clearTimeout(showTimer);
    showTimer = setTimeout(function () { show(link); }, DELAY);
  });
  document.addEventListener("pointerout", function (event) {
    var link = referenceAt(event);
    if (!link || (event.relatedTarget && link.contains(event.relatedTarget))) return;
    clearTimeout(showTimer);
    if (tip) hideSoon();
  });
  document.addEventListener("focusin", function (event) {
    var link = referenceAt(event);
    if (link && focusVisible(link)) show(link);
  });
  document.addEventListener("focusout", function (event) {
    if (owner && referenceAt(event) === owner) hide();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && tip) hide();
  });
  var placing = false;
  window.addEventListener("scroll", function () {     // the preview stays by its reference
    if (!tip || placing) return;
    placing = true;
    requestAnimationFrame(function () {
      placing = false;
      if (!tip) return;
      var r = owner.getBoundingClientRect();
      if (r.bottom < topOfWindow() || r.top > window.innerHeight) hide();
      else place(owner);
    });
  }, {passive: true});
  window.addEventListener("resize", function () { if (tip) hide(); });
  document.addEventListener("click", function (event) {    // a click elsewhere closes it
    if (tip && !tip.contains(event.target)) hide();
  }, true);
})();
