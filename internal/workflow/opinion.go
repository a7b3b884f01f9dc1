package workflow

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Opinion is a review opinion (审议意见) as read at intake and corrected by
// the clerk.
type Opinion struct {
	Issuer    string    `json:"issuer"`    // 某市某区人民代表大会常务委员会
	Number    string    `json:"number"`    // 来文字号: 某会〔2025〕57号
	Title     string    `json:"title"`     // 关于检查…情况的审议意见
	Addressee string    `json:"addressee"` // 区人民政府
	Session   string    `json:"session"`   // 区第二届人大常委会第三十六次会议
	ReplyTo   string    `json:"replyTo"`   // whom the report goes to: 区人大常委会
	Signature string    `json:"signature"` // 某市某区人大常委会
	Date      time.Time `json:"date"`
	Due       time.Time `json:"due"`
	DueRule   string    `json:"dueRule"` // the sentence the deadline came from; "" when defaulted
	Preamble  string    `json:"preamble"`
	Closing   string    `json:"closing"`
	Items     []Item    `json:"items"`

	// Kind is the case's kind (Profile.Kinds): "" for a 审议意见. A
	// 代表建议 or 政协提案 names who proposed it, their group (代表团,
	// 界别), those who signed it with them and the list's category.
	Kind      string   `json:"kind,omitempty"`
	Proposer  string   `json:"proposer,omitempty"`
	Group     string   `json:"group,omitempty"`
	Cosigners []string `json:"cosigners,omitempty"`
	Category  string   `json:"category,omitempty"`
}

// Item is one numbered point of an opinion, in document order. ID is its
// outline path ("2", "2.3", "2.3.1"), Level its depth: 1 一、 2 （一） 3 1. 4 （1）.
type Item struct {
	ID    string `json:"id"`
	Level int    `json:"level"`
	Label string `json:"label"` // as written: 一、 （二） 3.
	Text  string `json:"text"`
}

// Item returns the item with the given ID.
func (o *Opinion) Item(id string) (Item, bool) {
	for _, it := range o.Items {
		if it.ID == id {
			return it, true
		}
	}
	return Item{}, false
}

// Children returns the items directly below the item with the given ID; ""
// gives the top-level items.
func (o *Opinion) Children(id string) []Item {
	var out []Item
	for _, it := range o.Items {
		if parentID(it.ID) == id {
			out = append(out, it)
		}
	}
	return out
}

func parentID(id string) string {
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == '.' {
			return id[:i]
		}
	}
	return ""
}

// Validate checks what intake and correction must guarantee.
func (o *Opinion) Validate() error {
	const op = "workflow.Opinion"
	switch {
	case o.Number == "":
		return Errorf(op, Invalid, "缺少来文字号（如 某会〔2025〕57号）")
	case o.Title == "":
		return Errorf(op, Invalid, "缺少标题")
	case o.Kind != "" && o.Proposer == "":
		return Errorf(op, Invalid, "缺少提出人（代表或委员）")
	case o.Date.IsZero():
		return Errorf(op, Invalid, "缺少成文日期")
	case o.Due.IsZero():
		return Errorf(op, Invalid, "缺少办理期限")
	case o.Due.Before(o.Date):
		return Errorf(op, Invalid, "办理期限 %s 早于来文日期 %s", DateCN(o.Due), DateCN(o.Date))
	case len(o.Items) == 0:
		return Errorf(op, Invalid, "未找到编号的意见条目（一、 （一） 1. （1））")
	}
	if len(o.Items) > MaxItems {
		return Errorf(op, Invalid, "意见条目有 %d 条，上限 %d 条", len(o.Items), MaxItems)
	}
	for field, v := range map[string]string{"来文字号": o.Number, "标题": o.Title, "来文机关": o.Issuer, "主送机关": o.Addressee,
		"会议": o.Session, "报送对象": o.ReplyTo, "署名": o.Signature, "期限依据": o.DueRule,
		"提出人": o.Proposer, "所属代表团或界别": o.Group, "类别": o.Category} {
		if err := checkLine(op, field, v); err != nil {
			return err
		}
	}
	if len(o.Cosigners) > MaxCosigners {
		return Errorf(op, Invalid, "附议人有 %d 位，上限 %d 位", len(o.Cosigners), MaxCosigners)
	}
	// Each a name of at most 50 characters (caselist checks them one by
	// one); here, as one text, within that bound and on one line.
	if err := checkText(op, "附议人", strings.Join(o.Cosigners, "、"), MaxCosigners*51); err != nil || strings.ContainsAny(strings.Join(o.Cosigners, ""), "\r\n") {
		return Errorf(op, Invalid, "附议人名单有误：每人一个名字，不换行，每个至多 50 字")
	}
	n := utf8.RuneCountInString(o.Preamble) + utf8.RuneCountInString(o.Closing)
	seen := map[string]bool{}
	for _, it := range o.Items {
		n += utf8.RuneCountInString(it.Text)
		if it.ID == "" || seen[it.ID] {
			return Errorf(op, Invalid, "意见条目编号 %q 重复或为空", it.ID)
		}
		seen[it.ID] = true
		if it.Level < 1 || it.Level > 4 {
			return Errorf(op, Invalid, "意见条目 %s 的层级 %d 超出 1–4", it.ID, it.Level)
		}
	}
	if n > MaxOpinionText {
		return Errorf(op, Invalid, "来文正文过长（%d 字，上限 %d 字）", n, MaxOpinionText)
	}
	return nil
}

// Limits of an opinion as read. Generous for the genre (the longest real
// opinions run to a few thousand characters and a few dozen items); they
// keep the opinion's record far inside a DynamoDB item.
const (
	MaxItems       = 99
	MaxOpinionText = 60000
)

// Zone is the time zone of dates on documents. A fixed offset, so that no
// tzdata is needed in Lambda.
var Zone = time.FixedZone("CST", 8*3600)

// DateCN formats t as on a Chinese official document: 2025年12月22日,
// Arabic digits, no zero padding (GB/T 9704 7.3.5).
func DateCN(t time.Time) string {
	t = t.In(Zone)
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

// Day returns midnight of the given date in Zone.
func Day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, Zone) }
