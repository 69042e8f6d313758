// The "bundler" of this example: it copies src/ to dist/ and stamps the
// build time into the page. A real app runs Vite, webpack, Astro... here;
// what matters is that dist/ exists only after `npm run build`.
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
cpSync("src", "dist", { recursive: true });
const page = readFileSync("dist/index.html", "utf8").replace("BUILD-TIME", new Date().toISOString());
writeFileSync("dist/index.html", page);
console.log("wrote dist/");
