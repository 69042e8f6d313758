document.querySelector("h1").title = "served from dist/";
