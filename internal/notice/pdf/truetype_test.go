package pdf

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/notice"
	"github.com/docflow/docflow/internal/notice/docx"
	"github.com/docflow/docflow/internal/notice/noticetest"
)

// Debian's free TrueType CJK fonts, which infra/local/tools.sh installs:
// they stand in for the licensed TrueType fonts an office holds.
var debianTrueType = map[string]string{
	"gbsn00lp.ttf":   "/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf", // TTF, 宋
	"gkai00mp.ttf":   "/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf", // TTF, 楷
	"wqy-zenhei.ttc": "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",           // TTC, 黑
	"uming.ttc":      "/usr/share/fonts/truetype/arphic/uming.ttc",             // TTC, 明 (宋)
}

// trueTypeDir makes a font directory as an office would: its TrueType
// fonts and a fonts.json naming one for each face (config), skipping (or
// failing on CI) without Debian's fonts.
func trueTypeDir(tb testing.TB, config string) string {
	tb.Helper()
	dir := tb.TempDir()
	for name, path := range debianTrueType {
		if _, err := os.Stat(path); err != nil {
			missing(tb, path+" not installed (fonts-arphic-*, fonts-wqy-zenhei)")
		}
		if err := os.Symlink(path, filepath.Join(dir, name)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), []byte(config), 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// officeFonts names a TrueType font for every face: TTF and TTC, one
// collection face shared by two faces.
const officeFonts = `{
	"小标宋": "uming.ttc#0",
	"仿宋": "gbsn00lp.ttf",
	"楷体": "gkai00mp.ttf",
	"黑体": "wqy-zenhei.ttc",
	"song": "uming.ttc"
}`

// TestPDFTrueType: the seed case set in TrueType fonts passes the measures
// of the Fandol PDF (text, type area, grid, mark, rule, page numbers,
// 版记); every font is an embedded subset; the .docx names the fonts.
func TestPDFTrueType(t *testing.T) {
	w, err := New(trueTypeDir(t, officeFonts))
	if err != nil {
		t.Fatal(err)
	}
	r, err := notice.New()
	if err != nil {
		t.Fatal(err)
	}
	n, _ := noticetest.Fixture(t)
	d, err := r.Layout(n)
	if err != nil {
		t.Fatal(err)
	}
	file, err := w.File(d)
	if err != nil {
		t.Fatal(err)
	}
	pdf := file.Data
	checkText(t, pdf)
	checkLayout(t, pdf)

	out := string(poppler(t, pdf, "pdffonts"))
	tagged := regexp.MustCompile(`^[A-Z]{6}\+(\S+)\s+CID TrueType\s+Identity-H\s+yes\s+yes\s+yes\s`)
	rows := strings.Split(strings.TrimSpace(out), "\n")[2:]
	if len(rows) != 5 {
		t.Errorf("pdffonts lists %d fonts; want one for each of the five faces:\n%s", len(rows), out)
	}
	for _, row := range rows {
		if !tagged.MatchString(row) {
			t.Errorf("font not an embedded subset CID TrueType font with ToUnicode: %s", row)
		}
	}
	for _, s := range file.Fonts {
		t.Logf("%s (%s): %d glyphs, %d bytes", s.Name, s.Face, s.Glyphs, s.Bytes)
	}
	t.Logf("PDF %d bytes, font subsets %d bytes", len(pdf), file.FontBytes())
	if len(file.Fonts) != 5 || file.FontBytes() >= len(pdf) {
		t.Errorf("%d subsets of %d bytes in a PDF of %d; want five, smaller than the PDF", len(file.Fonts), file.FontBytes(), len(pdf))
	}
	for _, s := range d.Substitutions {
		if strings.Contains(s, "Fandol") {
			t.Errorf("substitution %q: every face has the office's font", s)
		}
	}
	if d.Faces[notice.FontHei] != "文泉驿正黑" || d.Faces[notice.FontKai] == "" {
		t.Errorf("Faces = %q; want the fonts' family names (黑体: 文泉驿正黑)", d.Faces)
	}
	x, err := docx.Write(d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(docxPart(t, x, "word/styles.xml"), `w:eastAsia="文泉驿正黑"`) {
		t.Errorf("the .docx's styles do not name 文泉驿正黑 for 黑体")
	}
	if os.Getenv("DOCFLOW_KEEP_PDF") != "" {
		_ = os.WriteFile(filepath.Join(repoRoot(t), "artifacts", "pdf", "truetype.pdf"), pdf, 0o644)
	}
}

// TestPDFTrueTypeFallback: a face fonts.json leaves out is set in Fandol,
// and the report says so.
func TestPDFTrueTypeFallback(t *testing.T) {
	dir := trueTypeDir(t, `{"仿宋": "gbsn00lp.ttf", "hei": "wqy-zenhei.ttc#1"}`)
	for _, f := range FontFiles {
		if err := os.Symlink(filepath.Join(fontDir(t), f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	w, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := notice.New()
	n, _ := noticetest.Fixture(t)
	d, _ := r.Layout(n)
	pdf, err := w.PDF(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"楷体 → FandolKai-Regular", "宋体 → FandolSong-Regular", "方正小标宋 → FandolSong-Bold"} {
		if !strings.Contains(strings.Join(d.Substitutions, "\n"), want) {
			t.Errorf("Substitutions %q lack %q", d.Substitutions, want)
		}
	}
	out := string(poppler(t, pdf, "pdffonts"))
	for _, want := range []string{"CID TrueType", "CID Type 0C", "FandolKai-Regular"} {
		if !strings.Contains(out, want) {
			t.Errorf("pdffonts lacks %s:\n%s", want, out)
		}
	}
}

// TestFontsConfigErrors: a fonts.json that cannot be used says what is
// wrong and what to write.
func TestFontsConfigErrors(t *testing.T) {
	for _, tc := range []struct{ config, want string }{
		{`{"正文": "a.ttf"}`, `unknown face "正文"`},
		{`{"仿宋": "nosuch.ttf"}`, "names nosuch.ttf for 仿宋"},
		{`{"仿宋": "../etc/passwd"}`, "want a file name in that directory"},
		{`{"仿宋": "uming.ttc#x"}`, "no face index"},
		{`["仿宋"]`, "want an object"},
	} {
		_, err := New(trueTypeDir(t, tc.config))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New with fonts.json %s: %v; want an error saying %q", tc.config, err, tc.want)
		}
	}
	dir := trueTypeDir(t, `{"仿宋": "uming.ttc#9", "楷体": "gkai00mp.ttf", "黑体": "gkai00mp.ttf", "宋体": "gkai00mp.ttf", "小标宋": "gkai00mp.ttf"}`)
	w, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := notice.New()
	n, _ := noticetest.Fixture(t)
	d, _ := r.Layout(n)
	if _, err := w.PDF(d); err == nil || !strings.Contains(err.Error(), "face #9") {
		t.Errorf("PDF with uming.ttc#9: %v; want an error naming face #9", err)
	}
	if errors.Is(err, ErrFontsMissing) {
		t.Errorf("a bad face index is no missing font: %v", err)
	}
}
