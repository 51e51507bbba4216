/* Row editor for rule JSON (core/rule_editor.py): conditions as field / operator / value rows in
   "all" / "any" groups, actions as rows. The textarea stays the form's value: every change writes
   JSON back into it, and "Edit as JSON" shows it again. The server validates what is posted; its
   errors (naming "[index]") are shown next to the row they name. No build step, no library. */
(function () {
  "use strict";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function optionsFor(select, choices, current, multiple) {
    var wanted = multiple ? (Array.isArray(current) ? current : [current]) : [current];
    var keys = wanted.filter(function (v) { return v !== undefined; }).map(function (v) {
      return JSON.stringify(v);
    });
    var known = {};
    choices.forEach(function (choice) {
      var key = JSON.stringify(choice[0]);
      known[key] = true;
      var option = el("option", { value: key, text: choice[1] });
      if (keys.indexOf(key) !== -1) option.selected = true;
      select.appendChild(option);
    });
    // A stored value the catalogue does not know (a deleted group, an old id) is kept, not lost.
    keys.forEach(function (key) {
      if (!known[key]) {
        var option = el("option", { value: key, text: JSON.parse(key) + " (not found)" });
        option.selected = true;
        select.appendChild(option);
      }
    });
  }

  function selectedValue(select) {
    if (select.multiple) {
      return Array.prototype.filter.call(select.options, function (o) { return o.selected; })
        .map(function (o) { return JSON.parse(o.value); });
    }
    return select.value === "" ? undefined : JSON.parse(select.value);
  }

  function words(text) {
    return text.split(/[\s,]+/).filter(function (w) { return w; });
  }

  function tagsText(value) {
    return Array.isArray(value) ? value.join(" ") : value === undefined ? "" : String(value);
  }

  // --- conditions --------------------------------------------------------------------------

  // A select over catalogue entries (fields or action types), and the entries by key.
  function picker(items, key, ariaLabel, cls) {
    var byKey = {};
    var select = el("select", { "aria-label": ariaLabel, "class": cls });
    items.forEach(function (item) {
      byKey[item[key]] = item;
      select.appendChild(el("option", { value: item[key], text: item.label }));
    });
    return { byKey: byKey, select: select };
  }

  // A row: its controls and a Remove button.
  function rowOf(parts, onChange) {
    var remove = el("button", { type: "button", "class": "rule-remove", text: "Remove" });
    var row = el("div", { "class": "rule-row", "data-rule-row": "" }, parts.concat([remove]));
    remove.addEventListener("click", function () { row.remove(); onChange(); });
    return row;
  }

  function conditionRow(schema, condition, onChange) {
    var fields = picker(schema.fields, "name", "Field", "rule-field");
    var byName = fields.byKey;
    var fieldSelect = fields.select;
    var operatorSelect = el("select", { "aria-label": "Operator", "class": "rule-operator" });
    var valueBox = el("span", { "class": "rule-value" });
    var row = rowOf([fieldSelect, operatorSelect, valueBox], onChange);

    var valueInput = null;
    function fillOperators(field, current) {
      operatorSelect.innerHTML = "";
      field.operators.forEach(function (op) {
        var option = el("option", { value: op, text: schema.operator_labels[op] || op });
        if (op === current) option.selected = true;
        operatorSelect.appendChild(option);
      });
    }
    function fillValue(field, operator, current) {
      valueBox.innerHTML = "";
      valueInput = null;
      if (schema.no_value.indexOf(operator) !== -1) return;
      var multiple = schema.multi.indexOf(operator) !== -1;
      // "in" may be stored as a space-separated string ("high urgent"): offer it as a list.
      if (multiple && typeof current === "string") current = words(current);
      if (field.choices) {
        valueInput = el("select", { "aria-label": "Value", "class": "rule-input" });
        valueInput.multiple = multiple;
        if (!multiple && current === undefined) {
          valueInput.appendChild(el("option", { value: "", text: "Choose…" }));
        }
        optionsFor(valueInput, field.choices, current, multiple);
      } else if (field.type === "number" && !multiple) {
        valueInput = el("input", { type: "number", "aria-label": "Value", "class": "rule-input" });
        if (current !== undefined && current !== null) valueInput.value = current;
      } else {
        valueInput = el("input", { type: "text", "aria-label": "Value", "class": "rule-input" });
        valueInput.value = multiple || field.type === "tags" ? tagsText(current)
          : current === undefined || current === null ? "" : String(current);
        if (multiple || field.type === "tags") valueInput.placeholder = "separate with spaces";
      }
      valueBox.appendChild(valueInput);
      valueInput.addEventListener("change", onChange);
      valueInput.addEventListener("input", onChange);
    }

    var field = byName[condition.field] || schema.fields[0];
    fieldSelect.value = field.name;
    fillOperators(field, condition.operator);
    fillValue(field, operatorSelect.value, condition.value);

    fieldSelect.addEventListener("change", function () {
      var f = byName[fieldSelect.value];
      fillOperators(f, operatorSelect.value);
      fillValue(f, operatorSelect.value, undefined);
      onChange();
    });
    operatorSelect.addEventListener("change", function () {
      var previous = valueInput ? read().value : undefined;
      var f = byName[fieldSelect.value];
      var multiple = schema.multi.indexOf(operatorSelect.value) !== -1;
      if (previous !== undefined && multiple !== Array.isArray(previous)) {
        previous = multiple ? [previous] : previous[0];
      }
      fillValue(f, operatorSelect.value, previous);
      onChange();
    });

    function read() {
      var f = byName[fieldSelect.value];
      var out = { field: f.name, operator: operatorSelect.value };
      if (!valueInput) return out;
      var multiple = schema.multi.indexOf(out.operator) !== -1;
      if (valueInput.tagName === "SELECT") {
        var v = selectedValue(valueInput);
        if (v !== undefined) out.value = v;
      } else if (f.type === "tags" || multiple) {
        out.value = words(valueInput.value);
        if (f.type === "number") out.value = out.value.map(Number);
      } else if (f.type === "number") {
        if (valueInput.value !== "") out.value = Number(valueInput.value);
      } else {
        out.value = valueInput.value;
      }
      return out;
    }
    row.read = read;
    return row;
  }

  // --- actions -----------------------------------------------------------------------------

  function actionRow(schema, action, onChange) {
    var types = picker(schema.types, "type", "Action", "rule-type");
    var byType = types.byKey;
    var typeSelect = types.select;
    var params = el("span", { "class": "rule-params" });
    var row = rowOf([typeSelect, params], onChange);
    var inputs = {};

    function paramInput(param, current, values) {
      var input;
      var choices = param.choices;
      if (param.depends) choices = param.choices_by[values[param.depends]] || null;
      if (param.input === "select" && choices) {
        input = el("select", { "aria-label": param.label, "class": "rule-input" });
        if (current === undefined) input.appendChild(el("option", { value: "", text: "Choose…" }));
        optionsFor(input, choices, current, false);
      } else {
        input = el("input", { type: "text", "aria-label": param.label, "class": "rule-input" });
        input.value = param.input === "tags" ? tagsText(current)
          : current === undefined || current === null ? "" : String(current);
        if (param.input === "tags") input.placeholder = "tags, separated by spaces";
        if (param.suggest) {
          var listId = "rule-suggest-" + Math.random().toString(36).slice(2);
          var list = el("datalist", { id: listId });
          param.suggest.forEach(function (s) {
            list.appendChild(el("option", { value: s[0], text: s[1] }));
          });
          input.setAttribute("list", listId);
          params.appendChild(list);
        }
      }
      input.dataset.kind = param.input;
      return input;
    }

    function fill(type, action) {
      params.innerHTML = "";
      inputs = {};
      var values = {};
      type.params.forEach(function (param) {
        var current = action[param.key];
        var input = paramInput(param, current, values);
        values[param.key] = current;
        inputs[param.key] = input;
        params.appendChild(el("label", { "class": "rule-param" }, [
          el("span", { text: param.label + " " }), input,
        ]));
        input.addEventListener("change", function () {
          var dependants = type.params.filter(function (p) { return p.depends === param.key; });
          if (dependants.length) {
            var now = read();
            dependants.forEach(function (p) { delete now[p.key]; });
            fill(type, now);
          }
          onChange();
        });
        input.addEventListener("input", onChange);
      });
    }

    var type = byType[action.type] || schema.types[0];
    typeSelect.value = type.type;
    fill(type, action);
    typeSelect.addEventListener("change", function () {
      fill(byType[typeSelect.value], {});
      onChange();
    });

    function read() {
      var t = byType[typeSelect.value];
      var out = { type: t.type };
      t.params.forEach(function (param) {
        var input = inputs[param.key];
        if (!input) return;
        var value;
        if (input.tagName === "SELECT") value = selectedValue(input);
        else if (param.input === "tags") value = words(input.value);
        else value = input.value;
        if (value === undefined) return;
        if (param.optional && value === "") return;
        out[param.key] = value;
      });
      return out;
    }
    row.read = read;
    return row;
  }

  // --- one editor per textarea -------------------------------------------------------------

  function groupBox(title, rows, makeRow, onChange, addLabel) {
    var list = el("div", { "class": "rule-rows" });
    var add = el("button", { type: "button", "class": "rule-add", text: addLabel });
    var box = el("fieldset", { "class": "rule-group" }, [
      el("legend", { text: title }), list, add,
    ]);
    rows.forEach(function (item) { list.appendChild(makeRow(item)); });
    add.addEventListener("click", function () {
      list.appendChild(makeRow({}));
      onChange();
    });
    box.rows = function () {
      return Array.prototype.map.call(list.querySelectorAll("[data-rule-row]"), function (r) {
        return r;
      });
    };
    return box;
  }

  function serverErrors(textarea) {
    var list = document.getElementById(textarea.id + "_error");
    if (!list) {
      var container = textarea.closest(".form-row");
      list = container && container.querySelector(".errorlist");
    }
    if (!list) return [];
    return Array.prototype.map.call(list.querySelectorAll("li"), function (li) {
      return li.textContent;
    });
  }

  function attachErrors(textarea, groups) {
    serverErrors(textarea).forEach(function (message) {
      var match = /(?:\b(all|any))?\[(\d+)\]/.exec(message);
      if (!match) return;
      var group = groups[match[1] || "list"] || groups.list || groups.all;
      var rows = group ? group.rows() : [];
      var row = rows[Number(match[2])];
      if (row) {
        row.classList.add("rule-row-invalid");
        row.appendChild(el("div", { "class": "rule-error", role: "alert", text: message }));
      }
    });
  }

  function parse(text, shape) {
    var value = text.trim() === "" ? (shape === "groups" ? {} : []) : JSON.parse(text);
    if (shape === "groups") {
      if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error();
      Object.keys(value).forEach(function (key) {
        if (key !== "all" && key !== "any") throw new Error();
        if (!Array.isArray(value[key])) throw new Error();
      });
      return value;
    }
    if (!Array.isArray(value)) throw new Error();
    return value;
  }

  function representable(schema, items) {
    return items.every(function (item) {
      if (item === null || typeof item !== "object" || Array.isArray(item)) return false;
      if (schema.kind === "actions") {
        var type = schema.types.filter(function (t) { return t.type === item.type; })[0];
        if (!type) return false;
        var keys = type.params.map(function (p) { return p.key; });
        return Object.keys(item).every(function (k) { return k === "type" || keys.indexOf(k) !== -1; });
      }
      var field = schema.fields.filter(function (f) { return f.name === item.field; })[0];
      return Boolean(field) && field.operators.indexOf(item.operator) !== -1;
    });
  }

  function setup(textarea) {
    var schema = JSON.parse(textarea.dataset.ruleEditor);
    var editor = el("div", { "class": "rule-editor" });
    var body = el("div", { "class": "rule-body" });
    var notice = el("p", { "class": "rule-notice", role: "status" });
    var toggle = el("button", { type: "button", "class": "rule-toggle", text: "Edit as JSON" });
    editor.appendChild(body);
    editor.appendChild(notice);
    editor.appendChild(toggle);
    textarea.parentNode.insertBefore(editor, textarea);
    var groups = {};
    var advanced = false;

    function sync() {
      if (advanced) return;
      var read = function (g) { return g.rows().map(function (r) { return r.read(); }); };
      var value;
      if (schema.shape === "groups") {
        value = {};
        if (read(groups.all).length) value.all = read(groups.all);
        if (read(groups.any).length) value.any = read(groups.any);
      } else {
        value = read(groups.list);
      }
      textarea.value = JSON.stringify(value, null, 1);
    }

    function build() {
      var value;
      try {
        value = parse(textarea.value, schema.kind === "actions" ? "list" : schema.shape);
      } catch (e) {
        return "The JSON below is not valid; fix it, then switch back to rows.";
      }
      var lists = schema.shape === "groups" ? [value.all || [], value.any || []] : [value];
      if (!lists.every(function (items) { return representable(schema, items); })) {
        return "These rules use something the row editor does not offer; edit them as JSON.";
      }
      body.innerHTML = "";
      var makeRow = function (item) {
        return schema.kind === "actions" ? actionRow(schema, item, sync)
          : conditionRow(schema, item, sync);
      };
      var addLabel = schema.kind === "actions" ? "Add action" : "Add condition";
      if (schema.shape === "groups") {
        groups = {
          all: groupBox("Tickets must meet all of these conditions", value.all || [], makeRow, sync, addLabel),
          any: groupBox("Tickets can meet any of these conditions", value.any || [], makeRow, sync, addLabel),
        };
        body.appendChild(groups.all);
        body.appendChild(groups.any);
      } else {
        groups = { list: groupBox(schema.heading || "Rows", value, makeRow, sync, addLabel) };
        body.appendChild(groups.list);
      }
      return "";
    }

    function show(asJson) {
      advanced = asJson;
      textarea.style.display = asJson ? "" : "none";
      body.style.display = asJson ? "none" : "";
      toggle.textContent = asJson ? "Edit as rows" : "Edit as JSON";
    }

    toggle.addEventListener("click", function () {
      if (advanced) {
        var problem = build();
        notice.textContent = problem;
        if (!problem) { show(false); sync(); }
      } else {
        sync();
        notice.textContent = "";
        show(true);
      }
    });

    var problem = build();
    notice.textContent = problem;
    show(Boolean(problem));
    if (!problem) attachErrors(textarea, groups);
    if (textarea.form) textarea.form.addEventListener("submit", sync);
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("textarea[data-rule-editor]"), setup);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
