package workflow_test

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
)

func sealPNG(tb testing.TB, side int) []byte {
	tb.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+3] = 0xd0, 0x80
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// TestSeal sets the office's seal: what is not a whole PNG of a sensible
// size is refused and leaves the office as it was; a good one is audited
// and pressed on every notice published afterwards.
func TestSeal(t *testing.T) {
	e := newEnv(t)
	admin := e.id("admin")
	o := must(e.svc.Office(e.ctx))
	good := sealPNG(t, 300)
	for _, bad := range []struct {
		what string
		png  []byte
		say  string
	}{
		{"a JPEG-like file", []byte("\xff\xd8\xff\xe0 not a png"), "PNG"},
		{"a PNG cut short", good[:len(good)/2], "损坏"},
		{"a 20-pixel image", sealPNG(t, 20), "像素"},
		{"a 3000-pixel image", sealPNG(t, 3000), "像素"},
		{"2 MB of bytes", bytes.Repeat([]byte{0x89}, 2<<20), "上限"},
	} {
		_, err := e.svc.SetSeal(e.ctx, admin, o.Version, "", bad.png)
		wantErr(t, bad.what, err, workflow.Invalid, bad.say)
	}
	_, err := e.svc.SetSeal(e.ctx, e.id("clerk"), o.Version, "", good)
	wantErr(t, "a clerk setting the seal", err, workflow.Forbidden, "管理员")
	if now := must(e.svc.Office(e.ctx)); now.Version != o.Version || now.Seal != "" {
		t.Fatalf("refused seals changed the office: version %d → %d, seal %q", o.Version, now.Version, now.Seal)
	}

	o = must(e.svc.SetSeal(e.ctx, admin, o.Version, "", good))
	if o.Seal != workflow.Hash(good) {
		t.Fatalf("office seal %q; want the hash of the image", o.Seal)
	}
	_, err = e.svc.SetSeal(e.ctx, admin, o.Version-1, "", nil)
	wantErr(t, "removing the seal from a stale form", err, workflow.Conflict, "刷新")

	c := e.approved(t, 1)
	c = e.ok(e.svc.Publish(e.ctx, e.id("clerk"), c.ID, workflow.Day(2025, 12, 22)))
	_, page := must2(e.svc.File(e.ctx, workflow.Anonymous, c.ID, "notice.html"))
	if !strings.Contains(string(page), "seal "+workflow.Hash(good)) {
		t.Errorf("published notice was rendered without the office's seal:\n%s", page)
	}
	evs := must(e.svc.OfficeHistory(e.ctx, admin, "", 0, 50))
	if !hasEvent(evs, "set-seal", "更换印章（PNG 300×300") {
		t.Errorf("no audit event for the seal among %d office events", len(evs))
	}
}

func hasEvent(evs []workflow.Event, action, detail string) bool {
	for _, ev := range evs {
		if string(ev.Action) == action && strings.Contains(ev.Detail, detail) {
			return true
		}
	}
	return false
}

// TestSeriesNumbersAudited: moving a series' next number is recorded in the
// office's history; an unknown series and a step backwards are refused.
func TestSeriesNumbersAudited(t *testing.T) {
	e := newEnv(t)
	o := must(e.svc.Office(e.ctx))
	series := o.Profile.Series
	if err := e.svc.SetSeries(e.ctx, e.id("clerk"), series, 2025, 17); err != nil {
		t.Fatal(err)
	}
	err := e.svc.SetSeries(e.ctx, e.id("clerk"), "未登记府议", 2025, 3)
	wantErr(t, "an unknown series", err, workflow.Invalid, "没有文号代字")
	err = e.svc.SetSeries(e.ctx, e.id("clerk"), series, 2025, 5)
	wantErr(t, "moving the number back", err, workflow.Conflict, "不能重复使用")
	err = e.svc.SetSeries(e.ctx, e.deptUser("区妇联", "head"), series, 2025, 30)
	wantErr(t, "a department head", err, workflow.Forbidden, "管理员")
	evs := must(e.svc.OfficeHistory(e.ctx, e.id("admin"), "", 0, 50))
	if !hasEvent(evs, "set-series", "〔2025〕下一个号为 17 号（原为 1 号）") {
		t.Errorf("setting the series was not audited: %+v", evs)
	}
}

// TestDisabledApproverLosesTurn: an approver disabled while the report waits
// for them cannot sign with a session made before, and a new chain cannot
// name them.
func TestDisabledApproverLosesTurn(t *testing.T) {
	e := newEnv(t)
	c := e.compiled(t, 1)
	c = e.ok(e.svc.StartSignoff(e.ctx, e.id("clerk"), c.ID, shortChain))
	a := must(e.svc.Dir.Account(e.ctx, "reviewer"))
	a.Disabled = true
	must(e.svc.SaveAccount(e.ctx, e.id("admin"), a.Version, *a, "停用"))
	_, err := e.svc.Approve(e.ctx, e.id("reviewer"), c.ID, c.Report.Current.Sum, "同意")
	wantErr(t, "approval by a disabled account", err, workflow.Forbidden, "已停用")
	c = e.ok(e.svc.Case(e.ctx, e.id("clerk"), c.ID))
	if got := c.Chain[0].Approvals; len(got) != 0 {
		t.Fatalf("the refused approval was recorded: %+v", got)
	}
}
