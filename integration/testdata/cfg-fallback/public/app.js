console.log("CFG-FALLBACK-APP-JS");
