document.getElementById("app").dataset.ready = "STATIC-JSON-APP-JS";
