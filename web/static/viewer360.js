// The 360° viewer: draws the player's equirectangular video on the inside of a sphere and lets
// the learner look around by dragging (finger or mouse) or with the arrow keys, and zoom with a
// pinch or the wheel. The <video> underneath keeps its controls, quality menu and xAPI reporting
// (player.js); this module only adds the view. The page loads it only when three.js is installed
// (scripts/web-libs); without it the video plays flat.
import * as THREE from "three";

const figure = document.querySelector("figure.player.spherical");
const video = document.getElementById("player");
if (figure && video) {
  try {
    mount();
  } catch (e) {
    // No WebGL (old phone, disabled GPU): the flat video stays.
    console.warn("360 viewer:", e);
    figure.dataset.view360 = "unavailable";
  }
}

function mount() {
  const stage = document.createElement("div");
  stage.className = "stage360";
  stage.tabIndex = 0;
  stage.setAttribute("role", "application");
  stage.setAttribute("aria-label", figure.dataset.lookLabel || "360°");
  const renderer = new THREE.WebGLRenderer({ antialias: false, powerPreference: "low-power" });
  renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
  stage.append(renderer.domElement);
  video.after(stage);

  const scene = new THREE.Scene();
  const camera = new THREE.PerspectiveCamera(75, 1, 1, 1100);
  const texture = new THREE.VideoTexture(video);
  texture.colorSpace = THREE.SRGBColorSpace;
  const geometry = new THREE.SphereGeometry(500, 60, 40);
  geometry.scale(-1, 1, 1); // seen from inside
  scene.add(new THREE.Mesh(geometry, new THREE.MeshBasicMaterial({ map: texture })));

  // Where the learner looks: yaw (lon) and pitch (lat) in degrees.
  let lon = 0;
  let lat = 0;
  const target = new THREE.Vector3();
  function frame() {
    lat = Math.max(-85, Math.min(85, lat));
    lon = ((lon % 360) + 360) % 360;
    const phi = THREE.MathUtils.degToRad(90 - lat);
    const theta = THREE.MathUtils.degToRad(lon);
    target.setFromSphericalCoords(1, phi, theta);
    camera.lookAt(target);
    figure.dataset.yaw = lon.toFixed(1);
    figure.dataset.pitch = lat.toFixed(1);
    figure.dataset.fov = camera.fov.toFixed(0);
  }

  function resize() {
    const box = stage.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return;
    renderer.setSize(box.width, box.height, false);
    camera.aspect = box.width / box.height;
    camera.updateProjectionMatrix();
  }
  new ResizeObserver(resize).observe(stage);
  resize();

  function zoom(by) {
    camera.fov = Math.max(30, Math.min(100, camera.fov + by));
    camera.updateProjectionMatrix();
  }

  // One pointer drags the view; two pinch to zoom.
  const pointers = new Map();
  let pinch = 0;
  const spread = () => {
    const [a, b] = [...pointers.values()];
    return Math.hypot(a.x - b.x, a.y - b.y);
  };
  stage.addEventListener("pointerdown", (e) => {
    stage.setPointerCapture(e.pointerId);
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pointers.size === 2) pinch = spread();
  });
  stage.addEventListener("pointermove", (e) => {
    const last = pointers.get(e.pointerId);
    if (!last) return;
    if (pointers.size === 1) {
      // Dragging moves the picture with the finger: the view turns the other way.
      const degreesPerPixel = camera.fov / stage.clientHeight;
      lon -= (e.clientX - last.x) * degreesPerPixel;
      lat += (e.clientY - last.y) * degreesPerPixel;
    }
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pointers.size === 2) {
      const now = spread();
      zoom((pinch - now) * 0.1);
      pinch = now;
    }
  });
  const lift = (e) => pointers.delete(e.pointerId);
  stage.addEventListener("pointerup", lift);
  stage.addEventListener("pointercancel", lift);
  stage.addEventListener(
    "wheel",
    (e) => {
      e.preventDefault();
      zoom(Math.sign(e.deltaY) * 5);
    },
    { passive: false },
  );
  stage.addEventListener("keydown", (e) => {
    const step = { ArrowLeft: [-10, 0], ArrowRight: [10, 0], ArrowUp: [0, 10], ArrowDown: [0, -10] }[e.key];
    if (step) {
      e.preventDefault();
      lon += step[0];
      lat += step[1];
    } else if (e.key === "+" || e.key === "-") {
      zoom(e.key === "+" ? -5 : 5);
    } else if (e.key === " ") {
      e.preventDefault();
      if (video.paused) video.play().catch(() => {});
      else video.pause();
    }
  });

  // Draw while the video plays, and once after each change of view or size; a paused video
  // costs nothing (and the browser stops the loop while the page is hidden).
  let dirty = true;
  for (const type of ["pointermove", "wheel", "keydown"]) stage.addEventListener(type, () => (dirty = true));
  new ResizeObserver(() => (dirty = true)).observe(stage);
  video.addEventListener("seeked", () => (dirty = true));
  video.addEventListener("loadeddata", () => (dirty = true));
  renderer.setAnimationLoop(() => {
    if (video.paused && !dirty) return;
    dirty = false;
    frame();
    renderer.render(scene, camera);
  });
  figure.classList.add("viewing");
  figure.dataset.view360 = "ready";
}
