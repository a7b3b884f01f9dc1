package opinion

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/docflow/docflow/internal/workflow"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// supported ends every message about an unreadable file, so that the clerk
// learns what to upload instead.
const supported = "仅支持 UTF-8 或 GB18030 编码的 .txt/.md 或 .docx"

// readText turns an upload into text, by its extension or, failing that, by
// its content.
func readText(name string, data []byte) (string, error) {
	if len(data) > MaxSize {
		return "", invalid("文件大小为 %s，超过上限 %s；审议意见通常只有几页，请确认上传的文件是否正确", megabytes(len(data)), megabytes(MaxSize))
	}
	if len(data) == 0 {
		return "", invalid("文件是空的（0 字节），请重新上传审议意见")
	}
	// A zip is never text: whatever its name, it can only be a .docx (or a
	// renamed one), and reading it as such gives the clearest message.
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return docxText(data)
	}
	ext := strings.ToLower(path.Ext(strings.ReplaceAll(name, `\`, "/")))
	if ext == ".docx" {
		if kind := sniffBinary(data); kind != "" {
			return "", invalid("文件扩展名为 .docx，但内容是%s；请在 Word 或 WPS 中另存为 .docx 后上传", kind)
		}
		return "", invalid("文件扩展名为 .docx，但不是有效的 .docx 文档；请在 Word 或 WPS 中重新另存为 .docx 后上传")
	}
	text, err := decodeText(data)
	if err != nil {
		return "", err
	}
	switch ext {
	case ".md", ".markdown":
		text = stripMarkdown(text)
	case ".txt", ".text":
	default:
		if looksMarkdown(text) {
			text = stripMarkdown(text)
		}
	}
	return text, nil
}

func megabytes(n int) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// magics names the binary formats clerks upload by mistake, so that the
// message can say what the file is.
var magics = []struct {
	prefix, kind string
}{
	{"\x89PNG", "PNG 图片"},
	{"\xff\xd8\xff", "JPEG 图片"},
	{"GIF8", "GIF 图片"},
	{"%PDF", "PDF 文件（请上传其文字版本或原 Word 文档）"},
	{"\xd0\xcf\x11\xe0", "旧版 Word（.doc）或 WPS 文件（请另存为 .docx）"},
	{"{\\rtf", "RTF 文件（请另存为 .docx）"},
	{"PK\x03\x04", "zip 压缩包"},
	{"\x1f\x8b", "gzip 压缩包"},
	{"Rar!", "RAR 压缩包"},
	{"7z\xbc\xaf", "7z 压缩包"},
}

func sniffBinary(data []byte) string {
	for _, m := range magics {
		if bytes.HasPrefix(data, []byte(m.prefix)) {
			return m.kind
		}
	}
	return ""
}

// notText is the message for anything that is not text in an encoding we read.
func notText(why string) *workflow.Error {
	return invalid("文件不是文本（%s），无法读取；%s", why, supported)
}

// decodeText decodes UTF-8 (with or without BOM) or GB18030. Government
// PCs still save GB18030 (ANSI) by default, so both are common; anything
// else is refused rather than read as mojibake.
func decodeText(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return "", notText("是 UTF-16 编码，请在编辑器中另存为 UTF-8")
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
		if !utf8.Valid(data) {
			return "", notText("标明为 UTF-8，但含有无效字节")
		}
	}
	if kind := sniffBinary(data); kind != "" {
		return "", notText("看起来是" + kind)
	}
	// DOS editors end files with Ctrl-Z; it carries no text.
	data = bytes.TrimRight(data, "\x1a")
	if bytes.IndexByte(data, 0) >= 0 {
		if looksUTF16(data) {
			return "", notText("是 UTF-16 编码，请在编辑器中另存为 UTF-8")
		}
		return "", notText("含有 NUL 字节，可能是二进制文件")
	}
	if utf8.Valid(data) {
		text := string(data)
		if err := checkRunes(text); err != nil {
			return "", err
		}
		return text, nil
	}
	if !plausibleGB18030(data) {
		return "", notText("既不是有效的 UTF-8，也不像 GB18030 编码的中文")
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil {
		return "", &workflow.Error{Op: op, Kind: workflow.Invalid, Msg: notText("GB18030 解码失败").Msg, Err: err}
	}
	text := string(out)
	if strings.ContainsRune(text, utf8.RuneError) {
		return "", notText("既不是有效的 UTF-8，也不像 GB18030 编码的中文")
	}
	if err := checkRunes(text); err != nil {
		return "", err
	}
	if !mostlyText(text) {
		return "", notText("按 GB18030 解码后大部分不是中文或英文字符")
	}
	return text, nil
}

// looksUTF16 says whether data without a BOM reads as UTF-16 text in
// either byte order. Chinese in UTF-16 has NULs only beside ASCII
// characters, so counting NULs alone does not tell it from binary.
func looksUTF16(data []byte) bool {
	if len(data)%2 != 0 {
		return false
	}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		units := make([]uint16, len(data)/2)
		for i := range units {
			units[i] = order.Uint16(data[2*i:])
		}
		text := string(utf16.Decode(units))
		if checkRunes(text) == nil && mostlyText(text) {
			return true
		}
	}
	return false
}

// checkRunes refuses control characters, which text never holds, and the
// replacement character, which means the file was damaged by an earlier
// conversion and its fields would be garbage.
func checkRunes(text string) error {
	for _, r := range text {
		switch {
		case r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v':
		case r < 0x20 || (r >= 0x7f && r < 0xa0):
			return notText(fmt.Sprintf("含有控制字符 U+%04X，可能是二进制文件", r))
		case r == utf8.RuneError:
			return notText("含有乱码字符 �，可能在转换编码时已损坏")
		}
	}
	return nil
}

// plausibleGB18030 walks data as GB18030 and says whether it is likely
// Chinese. Every byte string of the right shape decodes to something, so
// shape alone proves little: Latin-1 and Shift-JIS text decode to rare
// characters. Everyday Chinese, though, lives in the GB2312 block (lead and
// trail bytes A1–FE); text whose double-byte characters mostly fall outside
// it is another encoding.
func plausibleGB18030(data []byte) bool {
	var multi, common int
	for i := 0; i < len(data); {
		b := data[i]
		if b < 0x80 {
			i++
			continue
		}
		if b == 0x80 || b == 0xFF || i+1 >= len(data) {
			return false
		}
		c := data[i+1]
		if c >= 0x30 && c <= 0x39 { // four-byte sequence: rare characters
			if i+3 >= len(data) {
				return false
			}
			multi++
			i += 4
			continue
		}
		if c < 0x40 || c == 0x7F || c == 0xFF {
			return false
		}
		multi++
		if b >= 0xA1 && b <= 0xF7 && c >= 0xA1 {
			common++
		}
		i += 2
	}
	return multi > 0 && common*5 >= multi*4
}

// mostlyText says whether nine runes in ten are Chinese, ASCII, or the
// punctuation Chinese text uses.
func mostlyText(text string) bool {
	var all, good int
	for _, r := range text {
		all++
		switch {
		case r < 0x80, unicode.Is(unicode.Han, r), unicode.IsSpace(r),
			r >= 0x2000 && r <= 0x206F, // general punctuation: “” —— …
			r >= 0x3000 && r <= 0x303F, // CJK punctuation: 。、《》〔〕
			r >= 0xFF00 && r <= 0xFFEF: // full-width forms: （）：，１
			good++
		}
	}
	return good*10 >= all*9
}
