// One mask painter for magic fill, shared by the image panel's canvas (canvas.js) and the editor
// (editor.js): a brush and an eraser driven by pointer events (mouse, pen and touch alike), a brush
// size, Clear, and the mask as a PNG of the image's own pixel size (what the fill API wants).
//
// Strokes are opaque white on transparent, which the API reads as "draw here" and "keep". Each move
// draws a round-capped line from the last point, so a fast stroke leaves no gaps between samples.

import { el } from "./ui.js";

const WHITE = "#ffffff";

// The tools, built into the (empty) toolbar element with ids `${prefix}-brush`, `-eraser`,
// `-brush-size` (the brush's diameter in % of the image's width) and `-clear`.
function buildTools(toolbar, prefix) {
  const button = (name, text) => el("button", {
    className: "button ghost small", text, attrs: { type: "button", id: `${prefix}-${name}` },
  });
  const tools = {
    brush: button("brush", "Brush"),
    eraser: button("eraser", "Eraser"),
    size: el("input", { attrs: { id: `${prefix}-brush-size`, type: "range", min: "2", max: "40", value: "12" } }),
    clear: button("clear", "Clear"),
  };
  toolbar.replaceChildren(tools.brush, tools.eraser, el("label", { text: "Size", attrs: { for: tools.size.id } }),
    tools.size, tools.clear);
  return tools;
}

// onChange(painted) is told whenever the mask turns empty or not.
export function maskPainter(canvas, toolbar, prefix, onChange) {
  const tools = buildTools(toolbar, prefix);
  let tool = "brush";
  let painted = false;
  let last = null;

  const context = () => canvas.getContext("2d");

  function setPainted(value) {
    painted = value;
    onChange(painted);
  }

  function pointAt(event) {
    const box = canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) / box.width) * canvas.width,
      y: ((event.clientY - box.top) / box.height) * canvas.height,
    };
  }

  function strokeTo(point) {
    const draw = context();
    draw.save();
    draw.globalCompositeOperation = tool === "eraser" ? "destination-out" : "source-over";
    draw.strokeStyle = WHITE;
    draw.fillStyle = WHITE;
    draw.lineCap = "round";
    draw.lineJoin = "round";
    draw.lineWidth = (Number(tools.size.value) / 100) * canvas.width;
    draw.beginPath();
    if (last) {
      draw.moveTo(last.x, last.y);
      draw.lineTo(point.x, point.y);
      draw.stroke();
    } else {
      draw.arc(point.x, point.y, draw.lineWidth / 2, 0, 2 * Math.PI);
      draw.fill();
    }
    draw.restore();
    last = point;
    if (tool === "brush" && !painted) setPainted(true);
  }

  // After an eraser stroke the mask may be empty again: look at its alpha once, not on every move.
  function anythingPainted() {
    const { data } = context().getImageData(0, 0, canvas.width, canvas.height);
    for (let alpha = 3; alpha < data.length; alpha += 4) {
      if (data[alpha] !== 0) return true;
    }
    return false;
  }

  function endStroke() {
    if (!last) return;
    last = null;
    if (tool === "eraser") setPainted(anythingPainted());
  }

  function choose(name) {
    tool = name;
    tools.brush.setAttribute("aria-pressed", String(name === "brush"));
    tools.eraser.setAttribute("aria-pressed", String(name === "eraser"));
  }

  function clear() {
    context().clearRect(0, 0, canvas.width, canvas.height);
    last = null;
    setPainted(false);
  }

  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    last = null;
    strokeTo(pointAt(event));
  });
  canvas.addEventListener("pointermove", (event) => {
    if (last) strokeTo(pointAt(event));
  });
  for (const name of ["pointerup", "pointercancel", "lostpointercapture"]) canvas.addEventListener(name, endStroke);
  tools.brush.addEventListener("click", () => choose("brush"));
  tools.eraser.addEventListener("click", () => choose("eraser"));
  tools.clear.addEventListener("click", clear);
  choose("brush");

  return {
    // A fresh, empty mask of the image's pixel size, with the brush chosen.
    reset(width, height) {
      canvas.width = width;
      canvas.height = height;
      choose("brush");
      clear();
    },
    painted: () => painted,
    toPNG: () => canvas.toDataURL("image/png"),
  };
}
