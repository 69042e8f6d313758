console.log("PLAIN-SITE-JS");
