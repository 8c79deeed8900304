/* global window */
"use strict";
// Swagger UI over this gateway's own OpenAPI document (served locally: no CDN).
window.addEventListener("load", function () {
  window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    tryItOutEnabled: true,
  });
});
