// Starts Swagger UI on /api/docs from the page's data attributes (no inline script, so the
// page's Content-Security-Policy allows scripts from this app only).
window.addEventListener("load", function () {
  var element = document.getElementById("swagger-ui-container");
  var config = JSON.parse(element.getAttribute("data-config") || "{}");
  config.url = element.getAttribute("data-spec-url");
  config.dom_id = "#swagger-ui-container";
  window.ui = SwaggerUIBundle(config);
});
