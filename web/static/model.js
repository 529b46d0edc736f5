// The 3D model viewer: loads the unit's glTF/GLB and lets the learner turn it by dragging
// (finger or mouse), zoom with a pinch or the wheel, and pan with two fingers; the arrow keys
// turn and zoom it too. The page loads this module only when three.js is installed (scripts/web-libs);
// without it the model is offered as a download.
import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";
import { OrbitControls } from "three/addons/controls/OrbitControls.js";

const figure = document.querySelector("figure.model");
if (figure) {
  mount().catch((e) => {
    console.warn("model viewer:", e);
    figure.dataset.loaded = "failed";
  });
}

async function mount() {
  const stage = figure.querySelector(".stage");
  const renderer = new THREE.WebGLRenderer({ antialias: true, powerPreference: "low-power" });
  renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
  renderer.domElement.tabIndex = 0;
  renderer.domElement.setAttribute("role", "img");
  renderer.domElement.setAttribute("aria-label", figure.dataset.lookLabel || "3D");
  stage.append(renderer.domElement);

  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0xeef2f0);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x667766, 2.5));
  const sun = new THREE.DirectionalLight(0xffffff, 2);
  sun.position.set(3, 5, 4);
  scene.add(sun);
  const camera = new THREE.PerspectiveCamera(45, 1, 0.01, 1000);
  const controls = new OrbitControls(camera, renderer.domElement);

  const render = () => {
    renderer.render(scene, camera);
    figure.dataset.azimuth = controls.getAzimuthalAngle().toFixed(3);
    figure.dataset.distance = controls.getDistance().toFixed(3);
  };
  const resize = () => {
    const box = stage.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return;
    renderer.setSize(box.width, box.height, false);
    camera.aspect = box.width / box.height;
    camera.updateProjectionMatrix();
    render();
  };
  controls.addEventListener("change", render);

  // Keys: ← → turn the model, ↑ ↓ (or + −) zoom.
  const up = new THREE.Vector3(0, 1, 0);
  renderer.domElement.addEventListener("keydown", (e) => {
    const offset = camera.position.clone().sub(controls.target);
    if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
      offset.applyAxisAngle(up, (e.key === "ArrowLeft" ? -1 : 1) * (Math.PI / 12));
    } else if (["ArrowUp", "ArrowDown", "+", "-"].includes(e.key)) {
      const closer = e.key === "ArrowUp" || e.key === "+";
      const length = offset.length() * (closer ? 0.85 : 1 / 0.85);
      offset.setLength(Math.min(controls.maxDistance, Math.max(controls.minDistance, length)));
    } else {
      return;
    }
    e.preventDefault();
    camera.position.copy(controls.target).add(offset);
    controls.update();
  });
  new ResizeObserver(resize).observe(stage);

  const gltf = await new GLTFLoader().loadAsync(figure.dataset.model);
  const model = gltf.scene;
  // Centre the model and frame it whatever its units.
  const bounds = new THREE.Box3().setFromObject(model);
  const size = bounds.getSize(new THREE.Vector3()).length() || 1;
  model.position.sub(bounds.getCenter(new THREE.Vector3()));
  scene.add(model);
  camera.near = size / 100;
  camera.far = size * 100;
  camera.position.set(size * 0.6, size * 0.45, size * 0.9);
  controls.minDistance = size * 0.2;
  controls.maxDistance = size * 5;
  controls.target.set(0, 0, 0);
  controls.update();
  resize();
  render();
  figure.dataset.loaded = "true";
}
