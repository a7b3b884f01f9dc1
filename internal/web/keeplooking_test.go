package web

import (
	"context"
	"strings"
	"testing"
)

// TestEmptyPageThatGoesOn: a list page with no rows but a next page (what
// DynamoDB gives when the matches lie beyond the index pages one request
// reads) must offer to keep looking, never say there is nothing; a list
// that ended says so.
func TestEmptyPageThatGoesOn(t *testing.T) {
	b := &base{Lang: "zh", ctx: context.Background()}
	for _, tc := range []struct {
		name string
		next string
	}{
		{"cases, not ended", "/cases?q=x&cursor=abc"},
		{"cases, ended", ""},
		{"notices, not ended", "/notices?q=x&cursor=abc"},
		{"notices, ended", ""},
	} {
		var out strings.Builder
		var err error
		if strings.HasPrefix(tc.name, "cases") {
			err = casesContent(&casesView{base: b, Query: "x", Next: tc.next}).Render(context.Background(), &out)
		} else {
			err = noticesContent(&noticesView{base: b, Q: "x", Next: tc.next}).Render(context.Background(), &out)
		}
		if err != nil {
			t.Fatal(err)
		}
		html := out.String()
		offers := strings.Contains(html, `id="keep-looking"`) && strings.Contains(html, `href="`+strings.ReplaceAll(tc.next, "&", "&amp;")+`"`)
		nothing := strings.Contains(html, "没有案件") || strings.Contains(html, "没有找到符合条件的公告")
		if tc.next != "" && (!offers || nothing) {
			t.Errorf("%s: offers to keep looking %v, says there is nothing %v; want true, false", tc.name, offers, nothing)
		}
		if tc.next == "" && (offers || !nothing) {
			t.Errorf("%s: offers to keep looking %v, says there is nothing %v; want false, true", tc.name, offers, nothing)
		}
	}
}
