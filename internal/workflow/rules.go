package workflow

import (
	"slices"
	"strings"
)

// Action names what a user does to a case. The audit trail records each
// change under its action's name.
type Action string

const (
	ActIntake          Action = "intake"
	ActRevise          Action = "revise" // a revised version of the opinion registered as a new case; recorded on the case it revises
	ActCorrect         Action = "correct-opinion"
	ActAssign          Action = "assign"
	ActFrame           Action = "set-frame" // the clerk's opening and closing paragraphs (Frame)
	ActDispatch        Action = "dispatch"
	ActSave            Action = "save-section"
	ActInput           Action = "input"
	ActSubmit          Action = "submit-section"
	ActAccept          Action = "accept-section"
	ActReturn          Action = "return-section"
	ActRemind          Action = "remind"
	ActCompile         Action = "compile"
	ActEditReport      Action = "save-report"
	ActStartSignoff    Action = "start-signoff"
	ActApprove         Action = "approve"
	ActReturnReport    Action = "return-report"
	ActPublish         Action = "publish"
	ActNumber          Action = "number"            // recorded when publication takes the number
	ActResult          Action = "set-result"        // the lead department records its item's 办理结果
	ActFollowUp        Action = "follow-up"         // the office records or updates a 办理结果 (跟踪督办)
	ActExtend          Action = "request-extension" // the lead department asks for a later due date (延期申请)
	ActDecideExtension Action = "decide-extension"  // the office grants or refuses it
	ActAttach          Action = "attach"            // the lead department attaches a file to its section (附件)
	ActDetach          Action = "detach"            // and removes one
	ActAttachReport    Action = "attach-report"     // the office attaches a file to the report: a 附件 of the notice
	ActDetachReport    Action = "detach-report"     // and removes one
	ActLiaise          Action = "liaise"            // the lead department records its contact with the proposer (沟通)
	ActDecline         Action = "decline"           // the lead department asks for its part to go to another (分办)
	ActReassign        Action = "reassign"          // the office gives a part to another lead department
	ActKeepLead        Action = "keep-lead"         // the office keeps it where it is
	// ActAlert records an automatic reminder (Service.CheckDeadlines).
	// No user takes it, so Rules does not list it.
	ActAlert Action = "alert"
)

// Party is how the actor must stand to the case or section.
type Party int

const (
	PartyOffice Party = iota // the office itself: no department needed
	PartyLead                // the section's lead department (主办)
	PartyCo                  // a co-handling department of the section (协办)
	PartyTurn                // a signer of the current sign-off step who has not yet approved
)

// Rule says who may take an action, and when. Rules is the one table the
// service enforces and the pages ask which buttons to show.
type Rule struct {
	Action Action
	Roles  []Role         // the actor holds one of these
	Party  Party          // and stands so to the case or section
	Stages []Stage        // the case is in one of these; nil: any (a new case)
	States []SectionState // section actions: the section is in one of these
	What   string         // the action in a message: "不能<What>"
}

// Rules lists every change a user can make. An action that is not here
// cannot be taken by anyone.
var Rules = []Rule{
	{ActIntake, []Role{Clerk}, PartyOffice, nil, nil, "登记来文"},
	{ActRevise, []Role{Clerk}, PartyOffice, nil, nil, "登记来文的修订版"},
	{ActCorrect, []Role{Clerk}, PartyOffice, []Stage{Assigning}, nil, "更正来文信息"},
	{ActAssign, []Role{Clerk}, PartyOffice, []Stage{Assigning}, nil, "交办"},
	{ActDispatch, []Role{Clerk}, PartyOffice, []Stage{Assigning}, nil, "交办"},
	{ActFrame, []Role{Clerk}, PartyOffice, []Stage{Assigning, Drafting, Compiling}, nil, "修改报告的开头和结尾"},
	{ActSave, []Role{Staff, Head}, PartyLead, []Stage{Drafting}, []SectionState{Open, Returned}, "修改部门稿"},
	{ActInput, []Role{Staff, Head}, PartyCo, []Stage{Drafting}, []SectionState{Open, Returned, Submitted}, "提供协办意见"},
	{ActSubmit, []Role{Head}, PartyLead, []Stage{Drafting}, []SectionState{Open, Returned}, "确认报送"},
	{ActAccept, []Role{Clerk}, PartyOffice, []Stage{Drafting}, []SectionState{Submitted}, "采用部门稿"},
	{ActReturn, []Role{Clerk}, PartyOffice, []Stage{Drafting}, []SectionState{Submitted, Accepted}, "退回部门稿"},
	{ActRemind, []Role{Clerk}, PartyOffice, []Stage{Drafting}, []SectionState{Open, Returned}, "催办"},
	{ActResult, []Role{Staff, Head}, PartyLead, []Stage{Drafting}, []SectionState{Open, Returned, Submitted}, "填写办理结果"},
	{ActExtend, []Role{Head}, PartyLead, []Stage{Drafting}, []SectionState{Open, Returned}, "申请延期"},
	{ActDecideExtension, []Role{Clerk}, PartyOffice, []Stage{Drafting}, []SectionState{Open, Returned, Submitted, Accepted}, "审批延期申请"},
	{ActLiaise, []Role{Staff, Head}, PartyLead, []Stage{Drafting}, []SectionState{Open, Returned}, "登记沟通情况"},
	{ActDecline, []Role{Head}, PartyLead, []Stage{Drafting}, []SectionState{Open, Returned}, "申请调整主办部门"},
	{ActReassign, []Role{Clerk}, PartyOffice, []Stage{Drafting}, []SectionState{Open, Returned}, "调整主办部门"},
	{ActKeepLead, []Role{Clerk}, PartyOffice, []Stage{Drafting}, []SectionState{Open, Returned}, "处理调整主办部门的申请"},
	{ActAskFeedback, []Role{Clerk}, PartyOffice, []Stage{Published}, nil, "发出满意度测评链接"},
	{ActFollowUp, []Role{Clerk}, PartyOffice, []Stage{Drafting, Compiling, Signing, Approved, Published}, []SectionState{Open, Returned, Submitted, Accepted}, "登记办理结果"},
	// 附件 (attach.go): a section's while its department may edit it; the
	// report's after compiling and before sign-off, so that signers sign
	// the list that is published.
	{ActAttach, []Role{Staff, Head}, PartyLead, []Stage{Drafting}, []SectionState{Open, Returned}, "添加附件"},
	{ActDetach, []Role{Staff, Head}, PartyLead, []Stage{Drafting}, []SectionState{Open, Returned}, "删除附件"},
	{ActAttachReport, []Role{Clerk}, PartyOffice, []Stage{Compiling}, nil, "添加报告附件"},
	{ActDetachReport, []Role{Clerk}, PartyOffice, []Stage{Compiling}, nil, "删除报告附件"},
	{ActCompile, []Role{Clerk}, PartyOffice, []Stage{Drafting, Compiling}, nil, "汇总"},
	{ActEditReport, []Role{Clerk}, PartyOffice, []Stage{Compiling, Signing, Approved}, nil, "修改报告"},
	{ActStartSignoff, []Role{Clerk}, PartyOffice, []Stage{Compiling}, nil, "发起审核签发"},
	{ActApprove, []Role{Approver}, PartyTurn, []Stage{Signing}, nil, "签批"},
	{ActReturnReport, []Role{Approver}, PartyTurn, []Stage{Signing}, nil, "退回报告"},
	{ActPublish, []Role{Clerk}, PartyOffice, []Stage{Approved}, nil, "发布"},
	// 征求意见 (consult.go): after 汇总, before 审核签发; links revoked until publication.
	{ActConsult, []Role{Clerk}, PartyOffice, []Stage{Compiling}, nil, "征求意见"},
	{ActRevokeConsult, []Role{Clerk}, PartyOffice, []Stage{Compiling, Signing, Approved}, nil, "撤回征求意见链接"},
}

// RuleFor returns the rule of an action.
func RuleFor(a Action) (Rule, bool) {
	i := slices.IndexFunc(Rules, func(r Rule) bool { return r.Action == a })
	if i < 0 {
		return Rule{}, false
	}
	return Rules[i], true
}

var roleLabel = map[Role]string{Clerk: "区府办经办人", Staff: "承办部门经办人", Head: "承办部门负责人", Approver: "审核签发人", Admin: "管理员"}

// Allowed reports whether id may take action a on case c now — on section
// sec for section actions (nil otherwise; c nil for intake). The error says
// why not: Forbidden when it is not the actor's to do, Invalid when it
// cannot be done at this stage.
func Allowed(id Identity, c *Case, a Action, sec *Section) error {
	op := "workflow." + string(a)
	r, ok := RuleFor(a)
	if !ok {
		return Errorf(op, Forbidden, "没有这项操作")
	}
	if !slices.ContainsFunc(r.Roles, id.Has) {
		var who []string
		for _, role := range r.Roles {
			who = append(who, roleLabel[role])
		}
		return Errorf(op, Forbidden, "只有%s可以%s", strings.Join(who, "或"), r.What)
	}
	if c == nil {
		return nil
	}
	switch r.Party {
	case PartyLead:
		if id.Dept != sec.Lead {
			return Errorf(op, Forbidden, "本部分由 %s 主办，只有该部门人员可以%s", sec.Lead, r.What)
		}
	case PartyCo:
		if !slices.Contains(sec.Co, id.Dept) {
			return Errorf(op, Forbidden, "只有本部分的协办部门可以%s", r.What)
		}
	}
	if r.Stages != nil && !slices.Contains(r.Stages, c.Stage) {
		var names []string
		for _, st := range r.Stages {
			names = append(names, st.Label())
		}
		return Errorf(op, Invalid, "案件当前为「%s」，不能%s（须为「%s」）", c.Stage.Label(), r.What, strings.Join(names, "」或「"))
	}
	if r.Party == PartyTurn {
		if err := c.turn(op, id); err != nil {
			return err
		}
	}
	if r.States != nil && !slices.Contains(r.States, sec.State) {
		return Errorf(op, Invalid, "本部分%s，不能%s", sec.State.Label(), r.What)
	}
	return nil
}

// Can reports whether Allowed lets id take action a: the pages show a
// button only when it does.
func Can(id Identity, c *Case, a Action, sec *Section) bool { return Allowed(id, c, a, sec) == nil }

// turn checks that the current sign-off step waits for id.
func (c *Case) turn(op string, id Identity) error {
	cur := c.CurrentStep()
	if cur == len(c.Chain) {
		return Errorf(op, Invalid, "签批已完成")
	}
	st := &c.Chain[cur]
	sum := c.Report.Current.Sum
	if !slices.Contains(st.Signers, id.User) {
		for i := cur + 1; i < len(c.Chain); i++ {
			if slices.Contains(c.Chain[i].Signers, id.User) {
				return Errorf(op, Forbidden, "尚未轮到您签批：当前环节为「%s」，待 %s 签批；您在「%s」环节",
					st.Name, strings.Join(st.Pending(sum), "、"), c.Chain[i].Name)
			}
		}
		return Errorf(op, Forbidden, "您不在当前环节「%s」的签批人之列", st.Name)
	}
	if st.approved(id.User, sum) {
		return Errorf(op, Conflict, "您已在「%s」环节签批过此稿", st.Name)
	}
	return nil
}

// checkSum refuses an approval or return of a draft other than the current.
func (c *Case) checkSum(op, sum string) error {
	if sum != c.Report.Current.Sum {
		return Errorf(op, Conflict, "报告已修改为第 %d 稿，您看到的不是最新稿，请查看最新稿后再签批", c.Report.Current.N)
	}
	return nil
}

func checkRev(op, what string, got, want int) error {
	if got != want {
		return Errorf(op, Conflict, "%s已被他人修改（您看到的是第 %d 次修改，现在是第 %d 次），请刷新查看最新内容后再提交", what, got, want)
	}
	return nil
}
