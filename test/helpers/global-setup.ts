// Runs once before any test file: makes sure the generated geography tables exist.
import { buildGeo } from "../../scripts/build-geo";

export default function setup(): void {
  buildGeo();
}
