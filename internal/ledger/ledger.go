// Package ledger writes the 办理台账 (workflow.Statistics.Sheets) as an
// Excel workbook, one worksheet a table, with excelize. Only the local
// server links it (web.Server.Workbook): the functions leave Excel out, as
// they do the roster reader, and offer the CSV tables instead.
package ledger

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/docflow/docflow/internal/workflow"
)

// Workbook writes the ledger's tables as an .xlsx workbook: text cells as
// text (never formulas, whatever they begin with), numbers as numbers, the
// header row bold and frozen.
func Workbook(st *workflow.Statistics) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, fmt.Errorf("ledger: style: %w", err)
	}
	for i, sh := range st.Sheets() {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sh.Name); err != nil {
				return nil, fmt.Errorf("ledger: sheet %s: %w", sh.Name, err)
			}
		} else if _, err := f.NewSheet(sh.Name); err != nil {
			return nil, fmt.Errorf("ledger: sheet %s: %w", sh.Name, err)
		}
		sw, err := f.NewStreamWriter(sh.Name)
		if err != nil {
			return nil, fmt.Errorf("ledger: sheet %s: %w", sh.Name, err)
		}
		// The stream writer takes widths and panes before the rows.
		widths := map[int]int{}
		for _, row := range sh.Rows {
			for c, cell := range row {
				// CJK characters take about two columns.
				w := len(cell.S)/3 + utf8.RuneCountInString(cell.S)
				widths[c] = min(max(widths[c], w+2), 60)
			}
		}
		for c, w := range widths {
			if err := sw.SetColWidth(c+1, c+1, float64(w)); err != nil {
				return nil, fmt.Errorf("ledger: sheet %s: %w", sh.Name, err)
			}
		}
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return nil, fmt.Errorf("ledger: sheet %s: %w", sh.Name, err)
		}
		for r, row := range sh.Rows {
			vals := make([]any, len(row))
			for c, cell := range row {
				var v any = cell.S
				if cell.Num {
					v = cell.N
				}
				if r == 0 {
					v = excelize.Cell{StyleID: bold, Value: cell.S}
				}
				vals[c] = v
			}
			cellName, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := sw.SetRow(cellName, vals); err != nil {
				return nil, fmt.Errorf("ledger: sheet %s row %d: %w", sh.Name, r+1, err)
			}
		}
		if err := sw.Flush(); err != nil {
			return nil, fmt.Errorf("ledger: sheet %s: %w", sh.Name, err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, fmt.Errorf("ledger: write: %w", err)
	}
	return b.Bytes(), nil
}
