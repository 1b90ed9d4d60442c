import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { Router } from 'express';

const require = createRequire(import.meta.url);
const SWAGGER_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));

/** /api/docs: Swagger UI from swagger-ui-dist, served by the sidecar itself (no CDN), reading our document. */
export function apiDocsRoutes(): Router {
  const router = Router();
  // Our initializer replaces the package's (which points at a demo API); a file, so no inline script is needed.
  router.get('/swagger-initializer.js', (_req, res) => {
    res.type('application/javascript').send(
      'window.onload = function () {\n  window.ui = SwaggerUIBundle({ url: "../v1/openapi.json", dom_id: "#swagger-ui", deepLinking: true, presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], plugins: [SwaggerUIBundle.plugins.DownloadUrl], layout: "StandaloneLayout" });\n};\n',
    );
  });
  router.get('/', (req, res, next) => (req.originalUrl.endsWith('/') ? next() : res.redirect(301, `${req.originalUrl}/`)));
  router.use(express.static(SWAGGER_DIR, { index: 'index.html' }));
  return router;
}
