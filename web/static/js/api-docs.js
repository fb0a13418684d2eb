// The API reference page: each operation's form sends its request with the token typed above and shows the answer.
document.querySelectorAll("form.api-try").forEach((form) => {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let path = form.dataset.path;
    const query = new URLSearchParams();
    form.querySelectorAll("input[data-in]").forEach((input) => {
      if (input.dataset.in === "path") path = path.replace(`{${input.name}}`, encodeURIComponent(input.value));
      else if (input.value !== "") query.append(input.name, input.value);
    });
    const body = form.querySelector("textarea[name=_body]");
    const headers = { Authorization: `Bearer ${document.getElementById("api-token").value}` };
    if (body) headers["Content-Type"] = "application/json";
    const answer = form.querySelector(".api-answer");
    const url = query.toString() ? `${path}?${query}` : path;
    const response = await fetch(url, { method: form.dataset.method, headers, body: body ? body.value : undefined });
    answer.textContent = `${response.status}\n${await response.text()}`;
  });
});
