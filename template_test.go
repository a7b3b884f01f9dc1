package docflow_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7"
	"github.com/awslabs/goformation/v7/intrinsics"

	"github.com/docflow/docflow/internal/awsstore"
	"github.com/docflow/docflow/internal/settings"
	"github.com/docflow/docflow/internal/web"
)

// functionOf names the SAM resource that serves each route group.
var functionOf = map[web.Group]string{
	web.Intake: "IntakeFunction", web.Assign: "AssignFunction", web.Draft: "DraftFunction",
	web.Signoff: "SignoffFunction", web.Publish: "PublishFunction",
}

// rawTemplate is template.yaml with intrinsics left as written, as JSON maps.
func rawTemplate(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile("template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// goformation's typed parse rejects unknown properties and wrong types.
	if _, err := goformation.ParseYAML(data); err != nil {
		t.Fatalf("goformation: %v", err)
	}
	js, err := intrinsics.ProcessYAML(data, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	var tpl map[string]any
	if err := json.Unmarshal(js, &tpl); err != nil {
		t.Fatal(err)
	}
	return tpl
}

func m(v any) map[string]any { x, _ := v.(map[string]any); return x }

func TestTemplateFunctions(t *testing.T) {
	tpl := rawTemplate(t)
	res := m(tpl["Resources"])
	glob := m(m(tpl["Globals"])["Function"])
	if glob["Runtime"] != "provided.al2023" || glob["Handler"] != "bootstrap" || !slices.Equal(anyStrings(glob["Architectures"]), []string{"arm64"}) {
		t.Errorf("Globals.Function = runtime %v, handler %v, architectures %v; want provided.al2023, bootstrap, [arm64]", glob["Runtime"], glob["Handler"], glob["Architectures"])
	}
	dirs, _ := filepath.Glob("functions/*/main.go")
	if len(dirs) != 5 {
		t.Fatalf("%d functions under functions/; want 5", len(dirs))
	}
	for _, d := range dirs {
		name := filepath.Base(filepath.Dir(d))
		resName := strings.ToUpper(name[:1]) + name[1:] + "Function"
		r := m(res[resName])
		if r == nil {
			t.Errorf("functions/%s has no resource %s in template.yaml", name, resName)
			continue
		}
		p := m(r["Properties"])
		if r["Type"] != "AWS::Serverless::Function" || p["CodeUri"] != "functions/"+name+"/" || m(r["Metadata"])["BuildMethod"] != "go1.x" {
			t.Errorf("%s: type %v, CodeUri %v, BuildMethod %v; want AWS::Serverless::Function, functions/%s/, go1.x", resName, r["Type"], p["CodeUri"], m(r["Metadata"])["BuildMethod"], name)
		}
		for _, k := range []string{"Runtime", "Handler", "Architectures"} {
			if p[k] != nil {
				t.Errorf("%s overrides Globals %s with %v", resName, k, p[k])
			}
		}
	}
	vars := m(m(glob["Environment"])["Variables"])
	for _, v := range settings.Required {
		if vars[v] == nil {
			t.Errorf("Globals set no %s, which every function requires (settings.Required)", v)
		}
	}
	for _, v := range settings.Auth {
		if vars[v] == nil {
			t.Errorf("Globals set no %s: the functions' pages would have no sign-in (settings.Auth)", v)
		}
	}
}

// TestTemplateNoCycle looks for a dependency cycle, which CloudFormation
// reports only at deploy time. Edges are Ref, GetAtt, Sub and DependsOn,
// with what SAM's transform does to events: an HttpApi event puts the
// function into its Api (the Api depends on the function) and an S3 event
// puts it into the bucket's notifications; Globals.Function is part of
// every function.
func TestTemplateNoCycle(t *testing.T) {
	tpl := rawTemplate(t)
	res := m(tpl["Resources"])
	deps := map[string]map[string]bool{}
	add := func(from, to string) {
		if res[to] == nil || from == to {
			return // a parameter or pseudo parameter
		}
		if deps[from] == nil {
			deps[from] = map[string]bool{}
		}
		deps[from][to] = true
	}
	subVar := regexp.MustCompile(`\$\{([^}!][^}]*)\}`)
	var refs func(v any, found func(string))
	refs = func(v any, found func(string)) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				switch k {
				case "Ref":
					s, _ := c.(string)
					found(s)
				case "Fn::GetAtt":
					switch g := c.(type) {
					case []any:
						s, _ := g[0].(string)
						found(s)
					case string:
						found(strings.SplitN(g, ".", 2)[0])
					}
				case "Fn::Sub":
					s, _ := c.(string)
					for _, mm := range subVar.FindAllStringSubmatch(s, -1) {
						found(strings.SplitN(mm[1], ".", 2)[0])
					}
				}
				refs(c, found)
			}
		case []any:
			for _, c := range x {
				refs(c, found)
			}
		}
	}
	glob := m(m(tpl["Globals"])["Function"])
	for name, r := range res {
		r := m(r)
		for _, d := range anyStrings(r["DependsOn"]) {
			add(name, d)
		}
		body := map[string]any{}
		for k, v := range m(r["Properties"]) {
			if k != "Events" {
				body[k] = v
			}
		}
		refs(body, func(to string) { add(name, to) })
		if r["Type"] != "AWS::Serverless::Function" {
			continue
		}
		refs(glob, func(to string) { add(name, to) })
		for _, ev := range m(m(r["Properties"])["Events"]) {
			refs(m(ev)["Properties"], func(to string) { add(to, name) }) // the Api or Bucket holds the function
		}
	}
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(n string, path []string)
	visit = func(n string, path []string) {
		switch state[n] {
		case 1:
			i := slices.Index(path, n)
			t.Errorf("dependency cycle: %s", strings.Join(append(path[i:], n), " → "))
			return
		case 2:
			return
		}
		state[n] = 1
		keys := make([]string, 0, len(deps[n]))
		for d := range deps[n] {
			keys = append(keys, d)
		}
		slices.Sort(keys)
		for _, d := range keys {
			visit(d, append(path, n))
		}
		state[n] = 2
	}
	names := make([]string, 0, len(res))
	for n := range res {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		visit(n, nil)
	}
}

func TestTemplateRoutes(t *testing.T) {
	res := m(rawTemplate(t)["Resources"])
	type route struct{ fn, method, path string }
	have := map[route]bool{}
	for name, r := range res {
		for _, ev := range m(m(m(r)["Properties"])["Events"]) {
			if m(ev)["Type"] == "HttpApi" {
				p := m(m(ev)["Properties"])
				have[route{name, p["Method"].(string), p["Path"].(string)}] = true
			}
		}
	}
	want := 0
	check := func(g web.Group, method, path string) {
		want++
		path = strings.TrimSuffix(path, "{$}") // ServeMux's exact-match marker; API Gateway matches exactly anyway
		if path == "" {
			path = "/"
		}
		k := route{functionOf[g], method, path}
		if !have[k] {
			t.Errorf("%s %s (group %s) is not routed to %s in template.yaml", method, path, g, k.fn)
		}
	}
	for _, rt := range web.Routes {
		if !rt.Local {
			check(rt.Group, rt.Method, rt.Path)
		}
	}
	for _, p := range web.Pages {
		if !p.Local {
			check(p.Group, p.Method, p.Path)
		}
	}
	if len(have) != want {
		t.Errorf("template.yaml routes %d paths; the handlers serve %d: remove routes nothing serves", len(have), want)
	}
}

func TestTemplateLeastPrivilege(t *testing.T) {
	res := m(rawTemplate(t)["Resources"])
	for name, r := range res {
		if m(r)["Type"] != "AWS::Serverless::Function" {
			continue
		}
		for _, pol := range m(r)["Properties"].(map[string]any)["Policies"].([]any) {
			st, ok := m(pol)["Statement"].([]any)
			if !ok {
				t.Errorf("%s: policy %v is not an inline statement list (managed policy templates are too broad to check)", name, pol)
				continue
			}
			for _, s := range st {
				for _, a := range anyStrings(m(s)["Action"]) {
					if strings.Contains(a, "*") {
						t.Errorf("%s grants action %q", name, a)
					}
				}
				for _, rs := range flatten(m(s)["Resource"]) {
					if rs == "*" {
						t.Errorf("%s grants on resource *", name)
					}
				}
			}
		}
	}
}

// TestTemplateReferences checks every Ref, GetAtt and ${} in Sub names a
// parameter, resource or pseudo parameter; CloudFormation only finds out
// at deploy time and goformation not at all.
func TestTemplateReferences(t *testing.T) {
	tpl := rawTemplate(t)
	known := map[string]bool{"AWS::Region": true, "AWS::AccountId": true, "AWS::Partition": true, "AWS::StackName": true, "AWS::URLSuffix": true, "AWS::NoValue": true}
	for k := range m(tpl["Parameters"]) {
		known[k] = true
	}
	for k := range m(tpl["Resources"]) {
		known[k] = true
	}
	subVar := regexp.MustCompile(`\$\{([^}!][^}]*)\}`)
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				switch k {
				case "Ref":
					if s, _ := c.(string); !known[s] {
						t.Errorf("%s: Ref %v names nothing", path, c)
					}
				case "Fn::GetAtt":
					target := ""
					switch g := c.(type) {
					case []any:
						target, _ = g[0].(string)
					case string:
						target = strings.SplitN(g, ".", 2)[0]
					}
					if !known[target] {
						t.Errorf("%s: GetAtt %v names nothing", path, c)
					}
				case "Fn::Sub":
					s, _ := c.(string)
					for _, mm := range subVar.FindAllStringSubmatch(s, -1) {
						if !known[strings.SplitN(mm[1], ".", 2)[0]] {
							t.Errorf("%s: Sub %q uses ${%s}, which names nothing", path, s, mm[1])
						}
					}
				}
				walk(path+"."+k, c)
			}
		case []any:
			for _, c := range x {
				walk(path, c)
			}
		}
	}
	walk("", tpl)
}

// TestTemplateTable compares the table with awsstore.TableInput, the
// definition the store's code was written against.
func TestTemplateTable(t *testing.T) {
	p := m(m(m(rawTemplate(t)["Resources"])["Table"])["Properties"])
	want := awsstore.TableInput("x")
	if p["BillingMode"] != string(want.BillingMode) {
		t.Errorf("BillingMode %v; want %v", p["BillingMode"], want.BillingMode)
	}
	if m(p["PointInTimeRecoverySpecification"])["PointInTimeRecoveryEnabled"] != true {
		t.Error("point-in-time recovery is off")
	}
	var attrs []string
	for _, a := range p["AttributeDefinitions"].([]any) {
		attrs = append(attrs, m(a)["AttributeName"].(string)+":"+m(a)["AttributeType"].(string))
	}
	var wantAttrs []string
	for _, a := range want.AttributeDefinitions {
		wantAttrs = append(wantAttrs, *a.AttributeName+":"+string(a.AttributeType))
	}
	slices.Sort(attrs)
	slices.Sort(wantAttrs)
	if !slices.Equal(attrs, wantAttrs) {
		t.Errorf("attributes %v; want %v", attrs, wantAttrs)
	}
	keys := func(v any) string {
		var s []string
		for _, k := range v.([]any) {
			s = append(s, m(k)["AttributeName"].(string)+"/"+m(k)["KeyType"].(string))
		}
		return strings.Join(s, ",")
	}
	if got := keys(p["KeySchema"]); got != "PK/HASH,SK/RANGE" {
		t.Errorf("key schema %s", got)
	}
	got := map[string]string{}
	for _, g := range p["GlobalSecondaryIndexes"].([]any) {
		got[m(g)["IndexName"].(string)] = keys(m(g)["KeySchema"]) + " " + m(m(g)["Projection"])["ProjectionType"].(string)
	}
	for _, g := range want.GlobalSecondaryIndexes {
		w := *g.KeySchema[0].AttributeName + "/HASH," + *g.KeySchema[1].AttributeName + "/RANGE " + string(g.Projection.ProjectionType)
		if got[*g.IndexName] != w {
			t.Errorf("index %s: %q; want %q", *g.IndexName, got[*g.IndexName], w)
		}
	}
	if len(got) != len(want.GlobalSecondaryIndexes) {
		t.Errorf("%d indexes; want %d", len(got), len(want.GlobalSecondaryIndexes))
	}
}

func anyStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// flatten returns the plain strings of a Resource value (intrinsics skipped).
func flatten(v any) []string { return anyStrings(v) }
