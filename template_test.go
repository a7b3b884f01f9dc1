package docflow_test

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
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

// samRoles are the roles SAM's transform makes, one per function that names
// no Role of its own: FunctionNameRole, which the template may refer to.
func samRoles(tpl map[string]any) map[string]bool {
	roles := map[string]bool{}
	for name, r := range m(tpl["Resources"]) {
		if m(r)["Type"] == "AWS::Serverless::Function" && m(m(r)["Properties"])["Role"] == nil {
			roles[name+"Role"] = true
		}
	}
	return roles
}

func TestTemplateFunctions(t *testing.T) {
	tpl := rawTemplate(t)
	res := m(tpl["Resources"])
	glob := m(m(tpl["Globals"])["Function"])
	if glob["Runtime"] != "provided.al2023" || glob["Handler"] != "bootstrap" || !slices.Equal(anyStrings(glob["Architectures"]), []string{"arm64"}) {
		t.Errorf("Globals.Function = runtime %v, handler %v, architectures %v; want provided.al2023, bootstrap, [arm64]", glob["Runtime"], glob["Handler"], glob["Architectures"])
	}
	dirs, _ := filepath.Glob("functions/*/main.go")
	if len(dirs) != 6 {
		t.Fatalf("%d functions under functions/; want 6 (five stages and notify)", len(dirs))
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
	for _, v := range settings.Defaulted {
		if vars[v] == nil {
			t.Errorf("Globals set no %s: a parameter should (settings.Defaulted)", v)
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

// TestTemplateRoutes: template.yaml sends each function exactly the
// routes and pages of its table (web.IntakeTable, …), and each function's
// main serves its own table.
func TestTemplateRoutes(t *testing.T) {
	res := m(rawTemplate(t)["Resources"])
	type route struct{ method, path string }
	routed := map[string]map[route]bool{} // function resource → what template.yaml sends it
	for name, r := range res {
		for _, ev := range m(m(m(r)["Properties"])["Events"]) {
			if m(ev)["Type"] == "HttpApi" {
				p := m(m(ev)["Properties"])
				if routed[name] == nil {
					routed[name] = map[route]bool{}
				}
				routed[name][route{p["Method"].(string), p["Path"].(string)}] = true
			}
		}
	}
	for _, tb := range web.Tables() {
		fn := functionOf[tb.Group]
		serves := map[route]bool{}
		add := func(method, path string) {
			path = strings.TrimSuffix(path, "{$}") // ServeMux's exact-match marker; API Gateway matches exactly anyway
			if path == "" {
				path = "/"
			}
			serves[route{method, path}] = true
		}
		for _, rt := range tb.Routes {
			add(rt.Method, rt.Path)
		}
		for _, p := range tb.Pages {
			add(p.Method, p.Path)
		}
		for k := range serves {
			if !routed[fn][k] {
				t.Errorf("%s %s is in web.%s but template.yaml does not route it to %s", k.method, k.path, tableFunc(tb.Group), fn)
			}
		}
		for k := range routed[fn] {
			if !serves[k] {
				t.Errorf("template.yaml routes %s %s to %s, whose table (web.%s) does not serve it", k.method, k.path, fn, tableFunc(tb.Group))
			}
		}
		delete(routed, fn)
	}
	for fn, rs := range routed {
		t.Errorf("template.yaml routes %d paths to %s, which serves no table", len(rs), fn)
	}

	// What a function serves is the table its main passes to package
	// function: the one template.yaml's routes were checked against.
	mains, _ := filepath.Glob("functions/*/main.go")
	for _, f := range mains {
		name := filepath.Base(filepath.Dir(f))
		resName := strings.ToUpper(name[:1]) + name[1:] + "Function"
		var want []string
		for g, fn := range functionOf {
			if fn == resName {
				want = append(want, tableFunc(g))
			}
		}
		if got := tablesIn(t, f); !slices.Equal(got, want) {
			t.Errorf("%s serves %v; want %v, the table of what template.yaml routes to %s", f, got, want, resName)
		}
	}
}

// tableFunc names the function of package web that makes g's table.
func tableFunc(g web.Group) string { return strings.ToUpper(string(g[:1])) + string(g[1:]) + "Table" }

// tablesIn lists the web.…Table functions a Go file calls.
func tablesIn(t *testing.T, file string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok {
			if sel, ok := c.Fun.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "web" && strings.HasSuffix(sel.Sel.Name, "Table") {
					out = append(out, sel.Sel.Name)
				}
			}
		}
		return true
	})
	return out
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
	for k := range samRoles(tpl) {
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
		got[m(g)["IndexName"].(string)] = keys(m(g)["KeySchema"]) + " " + m(m(g)["Projection"])["ProjectionType"].(string) +
			fmt.Sprint(anyStrings(m(m(g)["Projection"])["NonKeyAttributes"]))
	}
	for _, g := range want.GlobalSecondaryIndexes {
		w := *g.KeySchema[0].AttributeName + "/HASH," + *g.KeySchema[1].AttributeName + "/RANGE " + string(g.Projection.ProjectionType) +
			fmt.Sprint(g.Projection.NonKeyAttributes)
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

// deployment resolves template.yaml as CloudFormation would in one region
// with one set of parameters: conditions, Fn::If, Ref, Sub, GetAtt. A
// resource reads as {Name}; referring to one whose condition is false (it
// is not created) is an error, as it is at deploy time.
type deployment struct {
	t      *testing.T
	tpl    map[string]any
	region string
	params map[string]string
	conds  map[string]bool
}

func deploy(t *testing.T, region string, params map[string]string) *deployment {
	t.Helper()
	d := &deployment{t: t, tpl: rawTemplate(t), region: region, params: map[string]string{}, conds: map[string]bool{}}
	for name, p := range m(d.tpl["Parameters"]) {
		if def, ok := m(p)["Default"]; ok {
			d.params[name] = fmt.Sprint(def)
		}
	}
	for k, v := range params {
		if m(d.tpl["Parameters"])[k] == nil {
			t.Fatalf("no parameter %s", k)
		}
		d.params[k] = v
	}
	return d
}

func (d *deployment) suffix() string {
	if strings.HasPrefix(d.region, "cn-") {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

func (d *deployment) ref(name string) string {
	switch name {
	case "AWS::Region":
		return d.region
	case "AWS::URLSuffix":
		return d.suffix()
	case "AWS::Partition":
		if strings.HasPrefix(d.region, "cn-") {
			return "aws-cn"
		}
		return "aws"
	case "AWS::AccountId":
		return "123456789012"
	}
	if v, ok := d.params[name]; ok {
		return v
	}
	if samRoles(d.tpl)[name] {
		return "{" + name + "}"
	}
	r := m(m(d.tpl["Resources"])[name])
	if r == nil {
		d.t.Errorf("Ref %s names nothing", name)
	} else if c, _ := r["Condition"].(string); c != "" && !d.condition(c) {
		d.t.Errorf("in %s with %v, something refers to %s, which is not created (condition %s is false)", d.region, d.params, name, c)
	}
	return "{" + name + "}"
}

func (d *deployment) condition(name string) bool {
	if v, ok := d.conds[name]; ok {
		return v
	}
	c, ok := m(d.tpl["Conditions"])[name]
	if !ok {
		d.t.Fatalf("no condition %s", name)
	}
	v := d.eval(c).(bool)
	d.conds[name] = v
	return v
}

// eval resolves v's intrinsics.
func (d *deployment) eval(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			out = append(out, d.eval(e))
		}
		return out
	case map[string]any:
		if len(x) == 1 {
			for k, a := range x {
				args, _ := a.([]any)
				switch k {
				case "Ref":
					return d.ref(a.(string))
				case "Condition":
					return d.condition(a.(string))
				case "Fn::If":
					if d.condition(args[0].(string)) {
						return d.eval(args[1])
					}
					return d.eval(args[2])
				case "Fn::Equals":
					return fmt.Sprint(d.eval(args[0])) == fmt.Sprint(d.eval(args[1]))
				case "Fn::Not":
					return !d.truth(args[0])
				case "Fn::And", "Fn::Or":
					all, some := true, false
					for _, e := range args {
						b := d.truth(e)
						all, some = all && b, some || b
					}
					return k == "Fn::And" && all || k == "Fn::Or" && some
				case "Fn::Contains":
					return slices.Contains(anyStrings(d.eval(args[0])), fmt.Sprint(d.eval(args[1])))
				case "Fn::GetAtt":
					target := anyStrings(a)
					if len(target) == 1 {
						target = strings.SplitN(target[0], ".", 2)
					}
					return strings.TrimSuffix(d.ref(target[0]), "}") + "." + target[1] + "}"
				case "Fn::Sub":
					return regexp.MustCompile(`\$\{([^}!]+)\}`).ReplaceAllStringFunc(a.(string), func(s string) string {
						name, attr, ok := strings.Cut(s[2:len(s)-1], ".")
						if ok {
							return strings.TrimSuffix(d.ref(name), "}") + "." + attr + "}"
						}
						return d.ref(name)
					})
				}
			}
		}
		out := map[string]any{}
		for k, e := range x {
			out[k] = d.eval(e)
		}
		return out
	}
	return v
}

// truth evaluates a condition operand; goformation writes !Condition X
// as the plain string X.
func (d *deployment) truth(v any) bool {
	if name, ok := v.(string); ok {
		return d.condition(name)
	}
	return d.eval(v).(bool)
}

// created lists the resources the deployment makes.
func (d *deployment) created() []string {
	var out []string
	for name, r := range m(d.tpl["Resources"]) {
		if c, _ := m(r)["Condition"].(string); c == "" || d.condition(c) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// refusals are the AssertDescriptions of the rules that refuse the deployment.
func (d *deployment) refusals() []string {
	var out []string
	for _, r := range m(d.tpl["Rules"]) {
		if c, ok := m(r)["RuleCondition"]; ok && !d.eval(c).(bool) {
			continue
		}
		for _, a := range m(r)["Assertions"].([]any) {
			if !d.eval(m(a)["Assert"]).(bool) {
				out = append(out, strings.TrimSpace(m(a)["AssertDescription"].(string)))
			}
		}
	}
	return out
}

// resolved is everything the deployment makes — resources, Globals,
// outputs — resolved, so that every reference in it is checked.
func (d *deployment) resolved() (env map[string]any, authorizer map[string]any, outputs map[string]any) {
	for _, name := range d.created() {
		d.eval(m(d.tpl["Resources"])[name])
	}
	env = m(m(m(d.eval(m(d.tpl["Globals"])["Function"]))["Environment"])["Variables"])
	authorizer = m(m(m(m(m(m(d.eval(m(d.tpl["Resources"])["Api"]))["Properties"])["Auth"])["Authorizers"])["Jwt"])["JwtConfiguration"])
	outputs = map[string]any{}
	for name, o := range m(d.tpl["Outputs"]) {
		if c, _ := m(o)["Condition"].(string); c == "" || d.condition(c) {
			outputs[name] = d.eval(m(o)["Value"])
		}
	}
	return env, authorizer, outputs
}

// TestTemplateIdentityModes deploys the template, on paper, with a Cognito
// user pool and with an external OpenID Connect provider, in a region with
// Cognito and in AWS China without: the functions and the API's JWT
// authorizer get the same issuer, the functions the client, logout URL and
// claim mapping the mode calls for; nothing refers to a resource the mode
// does not make; the rules refuse Cognito in China and an external
// provider without an issuer and audience.
func TestTemplateIdentityModes(t *testing.T) {
	cognitoResources := []string{"AdminGroup", "ApproverGroup", "ClerkGroup", "HeadGroup", "StaffGroup", "UserPool", "UserPoolClient", "UserPoolDomain", "WebClient"}
	keycloak := map[string]string{"IdentityProvider": "oidc", "OIDCIssuer": "https://sso.example.gov.cn/realms/jingan", "OIDCAudience": "docflow-api",
		"OIDCClientId": "docflow-web", "OIDCLogoutURL": "https://sso.example.gov.cn/realms/jingan/protocol/openid-connect/logout",
		"ClaimMapping": "roles=groups role-prefix=docflow-", "PublicURL": "https://docflow.jingan.gov.cn"}

	t.Run("CognitoInUSEast1", func(t *testing.T) {
		d := deploy(t, "us-east-1", nil)
		env, auth, out := d.resolved()
		issuer := "https://cognito-idp.us-east-1.amazonaws.com/{UserPool}"
		if env["DOCFLOW_AUTH_ISSUER"] != issuer || env["DOCFLOW_AUTH_CLIENT_ID"] != "{WebClient}" ||
			env["DOCFLOW_AUTH_LOGOUT_URL"] != "https://{UserPoolDomain}.auth.us-east-1.amazoncognito.com/logout?client_id={WebClient}&logout_uri=https://docflow.example.gov.cn/" {
			t.Errorf("functions' sign-in settings: %v", env)
		}
		if auth["issuer"] != issuer || !slices.Equal(anyStrings(auth["audience"]), []string{"{UserPoolClient}"}) {
			t.Errorf("JWT authorizer %v; want the pool as issuer and UserPoolClient as audience", auth)
		}
		for _, r := range cognitoResources {
			if !slices.Contains(d.created(), r) {
				t.Errorf("%s not created", r)
			}
		}
		if out["UserPoolId"] != "{UserPool}" || out["Issuer"] != issuer {
			t.Errorf("outputs %v", out)
		}
		if r := d.refusals(); r != nil {
			t.Errorf("refused: %v", r)
		}
	})
	for _, region := range []string{"cn-north-1", "cn-northwest-1", "eu-west-1"} {
		t.Run("ExternalIn-"+region, func(t *testing.T) {
			d := deploy(t, region, keycloak)
			env, auth, out := d.resolved()
			if env["DOCFLOW_AUTH_ISSUER"] != keycloak["OIDCIssuer"] || env["DOCFLOW_AUTH_CLIENT_ID"] != "docflow-web" || env["DOCFLOW_AUTH_LOGOUT_URL"] != keycloak["OIDCLogoutURL"] ||
				env["DOCFLOW_AUTH_CLAIMS"] != keycloak["ClaimMapping"] || env["DOCFLOW_PUBLIC_URL"] != keycloak["PublicURL"] || env["DOCFLOW_AUTH_SCOPES"] != "profile" {
				t.Errorf("functions' sign-in settings: %v", env)
			}
			if auth["issuer"] != keycloak["OIDCIssuer"] || !slices.Equal(anyStrings(auth["audience"]), []string{"docflow-api"}) {
				t.Errorf("JWT authorizer %v; want the external issuer and audience", auth)
			}
			for _, r := range cognitoResources {
				if slices.Contains(d.created(), r) {
					t.Errorf("%s created with an external provider", r)
				}
			}
			if out["ApiUrl"] != "https://{Api}.execute-api."+region+"."+d.suffix() || out["Issuer"] != keycloak["OIDCIssuer"] {
				t.Errorf("outputs %v", out)
			}
			if r := d.refusals(); r != nil {
				t.Errorf("refused: %v", r)
			}
		})
	}
	t.Run("ExternalWithoutWebClient", func(t *testing.T) {
		env, _, _ := deploy(t, "cn-north-1", map[string]string{"IdentityProvider": "oidc", "OIDCIssuer": "https://sso.example.gov.cn", "OIDCAudience": "docflow"}).resolved()
		if env["DOCFLOW_AUTH_CLIENT_ID"] != "docflow" || env["DOCFLOW_AUTH_LOGOUT_URL"] != "" {
			t.Errorf("no OIDCClientId: client %v, logout %q; want the audience, and the provider's own logout", env["DOCFLOW_AUTH_CLIENT_ID"], env["DOCFLOW_AUTH_LOGOUT_URL"])
		}
	})
	t.Run("Refused", func(t *testing.T) {
		if r := deploy(t, "cn-north-1", nil).refusals(); len(r) != 1 || !strings.Contains(r[0], "IdentityProvider oidc") {
			t.Errorf("Cognito in cn-north-1: refusals %q; want one saying to use IdentityProvider oidc", r)
		}
		if r := deploy(t, "cn-northwest-1", map[string]string{"IdentityProvider": "oidc"}).refusals(); len(r) != 2 {
			t.Errorf("oidc without issuer and audience: refusals %q; want two", r)
		}
	})
}

// TestTemplatePartition fails on an ARN or an AWS domain written for one
// partition: the stack deploys in aws, aws-cn and aws-us-gov alike, so
// ARNs take ${AWS::Partition} and hosts ${AWS::URLSuffix}. The Go code
// (tests aside, which replay events as one partition sends them) builds
// no ARN either.
func TestTemplatePartition(t *testing.T) {
	arn := regexp.MustCompile(`arn:aws(-[a-z]+)*:`)
	host := regexp.MustCompile(`arn:aws(-[a-z]+)*:|amazonaws\.com`)
	check := func(f string, literal *regexp.Regexp) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue // a YAML or TOML comment may name the partitions
			}
			if s := literal.FindString(line); s != "" {
				t.Errorf("%s:%d: %q is written for one partition: use ${AWS::Partition} or ${AWS::URLSuffix}:\n\t%s", f, i+1, s, strings.TrimSpace(line))
			}
		}
	}
	check("template.yaml", host)
	check("infra/samconfig.toml", host)
	err := filepath.WalkDir(".", func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && (strings.HasPrefix(e.Name(), ".") && p != "." || e.Name() == "testdata" || e.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			check(p, arn)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTemplateRetain checks that what holds the office's records outlives
// the stack: the table, the bucket, the user pool, the logs and the key
// that signs the audit trail are kept
// when the stack is deleted or a resource replaced.
func TestTemplateRetain(t *testing.T) {
	res := m(rawTemplate(t)["Resources"])
	for name, r := range res {
		switch m(r)["Type"] {
		case "AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::Cognito::UserPool", "AWS::Logs::LogGroup", "AWS::KMS::Key":
			if m(r)["DeletionPolicy"] != "Retain" || m(r)["UpdateReplacePolicy"] != "Retain" {
				t.Errorf("%s: DeletionPolicy %v, UpdateReplacePolicy %v; want both Retain", name, m(r)["DeletionPolicy"], m(r)["UpdateReplacePolicy"])
			}
		}
	}
}

// TestTemplateCfnLint runs cfn-lint, informational checks included, for
// each identity mode in the regions it is meant for. It skips without
// cfn-lint unless CI is set.
func TestTemplateCfnLint(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("cfn-lint is not installed; CI must lint template.yaml")
		}
		t.Skip("cfn-lint is not installed: the template is not linted")
	}
	for _, tc := range []struct {
		name    string
		regions []string
		params  []string
	}{
		{"Cognito", []string{"us-east-1", "ap-east-1"}, []string{"IdentityProvider=cognito"}},
		{"External", []string{"cn-north-1", "cn-northwest-1"}, []string{"IdentityProvider=oidc",
			"OIDCIssuer=https://sso.example.gov.cn/realms/jingan", "OIDCAudience=docflow", "OIDCClientId=docflow-web"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--include-checks", "I", "--regions"}, tc.regions...)
			args = append(append(append(args, "--parameters"), tc.params...), "--", "template.yaml")
			out, err := exec.Command(lint, args...).CombinedOutput()
			if err != nil {
				t.Errorf("cfn-lint %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		})
	}
}

// TestSamconfig reads infra/samconfig.toml's deploy environments: each
// names only the template's parameters, with allowed values, in a region
// where its identity provider works. The default environment leaves the
// issuer and audience for `sam deploy --guided` to ask: the rules refuse
// it until they are given, and nothing else.
func TestSamconfig(t *testing.T) {
	data, err := os.ReadFile("infra/samconfig.toml")
	if err != nil {
		t.Fatal(err)
	}
	params := m(rawTemplate(t)["Parameters"])
	type env struct {
		region string
		params map[string]string
	}
	envs := map[string]*env{}
	var cur *env
	pair := regexp.MustCompile(`(\w+)=\\"([^"\\]*)\\"`)
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if name, ok := strings.CutSuffix(strings.TrimPrefix(line, "["), ".deploy.parameters]"); ok && strings.HasPrefix(line, "[") {
			cur = &env{params: map[string]string{}}
			envs[name] = cur
		} else if strings.HasPrefix(line, "[") {
			cur = nil
		}
		if cur == nil {
			continue
		}
		if v, ok := strings.CutPrefix(line, "region = "); ok {
			cur.region = strings.Trim(v, `"`)
		}
		if v, ok := strings.CutPrefix(line, "parameter_overrides = "); ok {
			for _, mm := range pair.FindAllStringSubmatch(v, -1) {
				cur.params[mm[1]] = mm[2]
			}
		}
	}
	if envs["default"] == nil || envs["cognito"] == nil {
		t.Fatalf("environments %v; want default and cognito", envs)
	}
	for name, e := range envs {
		for k, v := range e.params {
			p := m(params[k])
			if p == nil {
				t.Errorf("%s: parameter %s is not in template.yaml", name, k)
				continue
			}
			if allowed, ok := p["AllowedValues"].([]any); ok && !slices.ContainsFunc(allowed, func(x any) bool { return fmt.Sprint(x) == v }) {
				t.Errorf("%s: %s=%q is not one of %v", name, k, v, allowed)
			}
			if pat, ok := p["AllowedPattern"].(string); ok && !regexp.MustCompile(`^(?:`+pat+`)$`).MatchString(v) {
				t.Errorf("%s: %s=%q does not match %s", name, k, v, pat)
			}
		}
		refused := deploy(t, e.region, e.params).refusals()
		switch name {
		case "default":
			if len(refused) != 2 || !strings.Contains(refused[0]+refused[1], "OIDCIssuer") || strings.Contains(refused[0]+refused[1], "China") {
				t.Errorf("default (%s): refusals %q; want only the issuer and audience that --guided asks for", e.region, refused)
			}
			e.params["OIDCIssuer"], e.params["OIDCAudience"] = "https://sso.example.gov.cn", "docflow"
			if r := deploy(t, e.region, e.params).refusals(); r != nil {
				t.Errorf("default with an issuer and audience: refused %q", r)
			}
		default:
			if refused != nil {
				t.Errorf("%s (%s): refused %q", name, e.region, refused)
			}
		}
	}
}

// TestTemplateAuditKey checks the key that signs the audit trail: an
// asymmetric P-256 KMS key for signing, in every function's environment;
// its policy lets every function sign digests (each writes events) and the
// function of the audit page read the public key, and no one else sign —
// not the account, not anyone (principal *).
func TestTemplateAuditKey(t *testing.T) {
	tpl := rawTemplate(t)
	res := m(tpl["Resources"])
	key := m(res["AuditKey"])
	p := m(key["Properties"])
	if key["Type"] != "AWS::KMS::Key" || p["KeySpec"] != "ECC_NIST_P256" || p["KeyUsage"] != "SIGN_VERIFY" {
		t.Fatalf("AuditKey: %v %v %v; want an AWS::KMS::Key, ECC_NIST_P256, SIGN_VERIFY", key["Type"], p["KeySpec"], p["KeyUsage"])
	}
	env := m(m(m(m(tpl["Globals"])["Function"])["Environment"])["Variables"])
	if g, ok := m(env["DOCFLOW_AUDIT_KEY"])["Fn::GetAtt"]; !ok || getAttTarget(g) != "AuditKey" || !strings.Contains(fmt.Sprint(g), "Arn") {
		t.Errorf("Globals DOCFLOW_AUDIT_KEY = %v; want the AuditKey's ARN", env["DOCFLOW_AUDIT_KEY"])
	}
	// principal (a role name, "root" or "*") → actions granted
	grants := map[string][]string{}
	for _, st := range m(p["KeyPolicy"])["Statement"].([]any) {
		st := m(st)
		if st["Effect"] != "Allow" {
			continue
		}
		var principals []string
		switch pr := st["Principal"].(type) {
		case string:
			principals = []string{pr}
		default:
			for _, a := range flattenAny(m(pr)["AWS"]) {
				switch x := a.(type) {
				case string:
					principals = append(principals, x)
				case map[string]any:
					if g, ok := x["Fn::GetAtt"]; ok {
						principals = append(principals, getAttTarget(g))
					} else if sub, ok := x["Fn::Sub"].(string); ok && strings.HasSuffix(sub, ":root") {
						principals = append(principals, "root")
					} else {
						principals = append(principals, fmt.Sprint(x))
					}
				}
			}
		}
		for _, pr := range principals {
			grants[pr] = append(grants[pr], anyStrings(st["Action"])...)
		}
	}
	auditFn := ""
	for _, tb := range web.Tables() {
		for _, pg := range tb.Pages {
			if pg.Path == "/cases/{id}/audit" {
				auditFn = functionOf[tb.Group]
			}
		}
	}
	for pr, actions := range grants {
		for _, a := range actions {
			if strings.Contains(a, "*") {
				t.Errorf("the key policy grants %s %q", pr, a)
			}
		}
		if pr == "*" {
			t.Errorf("the key policy grants anyone (principal *) %v", actions)
		}
		if slices.Contains(actions, "kms:Sign") && !strings.HasSuffix(pr, "FunctionRole") {
			t.Errorf("the key policy lets %s sign: only the functions may", pr)
		}
		if slices.Contains(actions, "kms:GetPublicKey") && pr != auditFn+"Role" && pr != "root" {
			t.Errorf("the key policy lets %s read the public key; only %s serves the audit page", pr, auditFn)
		}
	}
	for name, r := range res {
		if m(r)["Type"] == "AWS::Serverless::Function" && !slices.Contains(grants[name+"Role"], "kms:Sign") {
			t.Errorf("%s writes events but may not sign them", name)
		}
	}
	if !slices.Contains(grants[auditFn+"Role"], "kms:GetPublicKey") {
		t.Errorf("%s serves the audit page but may not read the key's public key", auditFn)
	}
	if !slices.Contains(grants["root"], "kms:PutKeyPolicy") {
		t.Error("the account cannot change the key policy: KMS refuses a key its account cannot manage")
	}
}

// getAttTarget is the resource a GetAtt names, written [R, Attr] or "R.Attr".
func getAttTarget(g any) string {
	switch x := g.(type) {
	case []any:
		s, _ := x[0].(string)
		return s
	case string:
		return strings.SplitN(x, ".", 2)[0]
	}
	return ""
}

func flattenAny(v any) []any {
	if x, ok := v.([]any); ok {
		return x
	}
	return []any{v}
}
