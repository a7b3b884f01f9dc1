package web

import "github.com/docflow/docflow/internal/workflow"

// A Table is what one Lambda function serves: the API routes and the
// pages of one Group. The local server serves every table, and LocalTable.
//
// Each table is made by a function of its own, called only by that
// group's function (functions/<group>/main.go, through package function)
// and by the local server. A table names its handlers, and the linker
// keeps whatever a reachable table names: when one package-level list
// held every route and page, every function's binary carried every page
// and handler of every stage (about 1.2 MB). template.yaml must route each
// route and page of a group's table to that group's function, and only
// those (a test checks).
type Table struct {
	Group  Group
	Routes []Route
	Pages  []Page
}

// Tables are every group's table, in workflow order: what the functions
// serve, and what the tests check template.yaml against.
func Tables() []Table {
	return []Table{IntakeTable(), AssignTable(), DraftTable(), SignoffTable(), PublishTable()}
}

// IntakeTable is the intake function's: registering opinions (收文登记),
// the lists and the case page, the audit trail, sign-in and
// administration.
//
// On AWS the signed-in pages are served by the functions too: API Gateway
// routes them without its JWT authorizer (a browser following links sends
// cookies, not an Authorization header) and the function verifies the
// session cookie that /auth/login … /auth/callback set after the identity
// provider's sign-in (Server.Auth, package signin). Local pages stay with
// the local server (LocalTable).
func IntakeTable() Table {
	return Table{
		Group: Intake,
		Routes: []Route{
			{"GET", "/api/me", public, (*Server).me},
			{"POST", "/api/uploads", act(workflow.ActIntake), (*Server).presign},
			{"GET", "/api/cases", public, (*Server).cases},
			{"GET", "/api/cases/{id}", readCase, (*Server).getCase},
			{"GET", "/api/cases/{id}/events", readAudit, (*Server).events},
			{"GET", "/api/cases/{id}/history", readCase, (*Server).history},
			{"GET", "/api/cases/{id}/history/{seq}", readCase, (*Server).recorded},
			{"PUT", "/api/cases/{id}/opinion", act(workflow.ActCorrect), (*Server).correctOpinion},
		},
		Pages: []Page{
			{"GET", "/{$}", public, (*Server).home},
			{"GET", "/admin", adminOnly, (*Server).adminPage},
			{"GET", "/admin/office", adminOnly, (*Server).officePage},
			{"POST", "/admin/office", adminOnly, (*Server).officePost},
			{"POST", "/admin/seal", adminOnly, (*Server).sealPost},
			{"GET", "/admin/accounts", adminOnly, (*Server).accountsPage},
			{"POST", "/admin/accounts", adminOnly, (*Server).accountsPost},
			{"GET", "/admin/accounts/{user}", adminOnly, (*Server).accountEditPage},
			{"POST", "/admin/accounts/{user}", adminOnly, (*Server).accountEditPost},
			{"GET", "/auth/login", public, (*Server).auth},
			{"GET", "/auth/callback", public, (*Server).auth},
			{"POST", "/auth/logout", public, (*Server).auth},
			{"GET", "/static/{name}", public, (*Server).static},
			{"GET", "/cases", signedIn, (*Server).casesPage},
			{"GET", "/cases/new", act(workflow.ActIntake), (*Server).uploadPage},
			{"GET", "/cases/uploaded", act(workflow.ActIntake), (*Server).uploadedPage},
			{"GET", "/cases/{id}", readCase, (*Server).casePage},
			{"GET", "/cases/{id}/opinion", act(workflow.ActCorrect), (*Server).opinionPage},
			{"POST", "/cases/{id}/opinion", act(workflow.ActCorrect), (*Server).correctOpinionPage},
			{"GET", "/cases/{id}/audit", readAudit, (*Server).auditPage},
		},
	}
}

// AssignTable is the assign function's: the assignment of the opinion's
// items to departments (交办) and its dispatch; and the statistics, the
// 办理台账 and 跟踪督办.
func AssignTable() Table {
	return Table{
		Group: Assign,
		Routes: []Route{
			{"PUT", "/api/cases/{id}/assignments", act(workflow.ActAssign), (*Server).assign},
			{"POST", "/api/cases/{id}/dispatch", act(workflow.ActDispatch), (*Server).dispatch},
			// Issue 10: a year's statistics (pages_stats.go).
			{"GET", "/api/stats", statsAccess, (*Server).statsAPI},
			{"POST", "/api/stats/refresh", statsAccess, (*Server).statsRefreshAPI},
			{"GET", "/api/stats/ledger", statsAccess, (*Server).ledgerAPI},
			// Issue 13: lists of 代表建议 and 政协提案 (pages_import.go).
			{"POST", "/api/cases/import", act(workflow.ActIntake), (*Server).listAPI},
			{"POST", "/api/cases/handover", act(workflow.ActAssign), (*Server).handOverAPI},
			// The outbox (通知记录): here rather than in intake, which is at
			// its size bound; chasing what was sent is the daily work this
			// function serves.
			{"GET", "/api/outbox", roles(workflow.Clerk, workflow.Admin), (*Server).outbox},
			{"POST", "/api/outbox/{batch}/{msg}/retry", roles(workflow.Clerk, workflow.Admin), (*Server).retryMessage},
		},
		Pages: []Page{
			{"GET", "/cases/{id}/assign", act(workflow.ActAssign), (*Server).assignPage},
			{"POST", "/cases/{id}/assign", act(workflow.ActAssign), (*Server).assignPost},
			// Issue 10: statistics, the 办理台账 (the workbook only where
			// Server.Workbook is set: the local server) and 跟踪督办. Here
			// rather than in intake, which is at its size bound (1.28× its
			// floor; these pages add three 64 KB steps): assign is the
			// smallest function that serves pages, and deadlines are its
			// business.
			{"GET", "/stats", statsAccess, (*Server).statsPage},
			{"POST", "/stats/refresh", statsAccess, (*Server).statsRefresh},
			{"GET", "/stats/ledger.csv", statsAccess, (*Server).ledgerCSVPage},
			{"GET", "/stats/ledger.xlsx", statsAccess, (*Server).ledgerXLSXPage},
			{"GET", "/followup", statsAccess, (*Server).followUpPage},
			{"GET", "/cases/import", act(workflow.ActIntake), (*Server).listPage},
			{"POST", "/cases/import", act(workflow.ActIntake), (*Server).listPost},
			{"POST", "/cases/import/one", act(workflow.ActIntake), (*Server).importOnePost},
			{"GET", "/cases/handover", act(workflow.ActAssign), (*Server).handOverPage},
			{"GET", "/outbox", roles(workflow.Clerk, workflow.Admin), (*Server).outboxPage},
			{"POST", "/outbox/retry", roles(workflow.Clerk, workflow.Admin), (*Server).outboxRetry},
			{"POST", "/cases/handover", act(workflow.ActAssign), (*Server).handOverPost},
		},
	}
}

// DraftTable is the draft function's: the departments' sections (承办),
// their inputs, submission, acceptance, returns and reminders.
func DraftTable() Table {
	return Table{
		Group: Draft,
		Routes: []Route{
			// A section imported from a Word document (pages_docx.go).
			{"POST", "/api/cases/{id}/sections/{sec}/docx", act(workflow.ActSave), (*Server).importSection},
			{"GET", "/api/cases/{id}/texts/{hash}", readCase, (*Server).text},
			{"PUT", "/api/cases/{id}/sections/{sec}", act(workflow.ActSave), (*Server).saveSection},
			{"POST", "/api/cases/{id}/sections/{sec}/inputs", act(workflow.ActInput), (*Server).addInput},
			{"POST", "/api/cases/{id}/sections/{sec}/submit", act(workflow.ActSubmit), (*Server).submitSection},
			{"POST", "/api/cases/{id}/sections/{sec}/accept", act(workflow.ActAccept), (*Server).acceptSection},
			{"POST", "/api/cases/{id}/sections/{sec}/return", act(workflow.ActReturn), (*Server).returnSection},
			{"POST", "/api/cases/{id}/sections/{sec}/remind", act(workflow.ActRemind), (*Server).remind},
			// Issue 10: an item's result, and 延期申请 (pages_stats.go).
			{"POST", "/api/cases/{id}/sections/{sec}/result", act(workflow.ActResult), (*Server).resultAPI},
			{"POST", "/api/cases/{id}/sections/{sec}/followup", act(workflow.ActFollowUp), (*Server).followUpAPI},
			{"POST", "/api/cases/{id}/sections/{sec}/extension", act(workflow.ActExtend), (*Server).extensionAPI},
			{"POST", "/api/cases/{id}/sections/{sec}/extension/decide", act(workflow.ActDecideExtension), (*Server).decideExtensionAPI},
			// Issue 13: 沟通 with the proposer (pages_stats.go).
			{"POST", "/api/cases/{id}/sections/{sec}/liaison", act(workflow.ActLiaise), (*Server).liaisonAPI},
			// Issue 13: 分办 (pages_stats.go).
			{"POST", "/api/cases/{id}/sections/{sec}/decline", act(workflow.ActDecline), (*Server).declineAPI},
			{"POST", "/api/cases/{id}/sections/{sec}/reassign", act(workflow.ActReassign), (*Server).reassignAPI},
			// Issue 10: a section's attachments (pages_attach.go).
			{"POST", "/api/cases/{id}/sections/{sec}/attachments", act(workflow.ActAttach), (*Server).attachSectionAPI},
			{"DELETE", "/api/cases/{id}/sections/{sec}/attachments/{hash}", act(workflow.ActDetach), (*Server).detachSectionAPI},
		},
		Pages: []Page{
			// The section form's 导入 button (the draft function links the
			// .docx reader).
			{"POST", "/cases/{id}/sections/{sec}/docx", act(workflow.ActSave), (*Server).sectionDocxPost},
			{"GET", "/todo", roles(workflow.Staff, workflow.Head), (*Server).todoPage},
			{"POST", "/preview", signedIn, (*Server).previewPost},
			{"GET", "/cases/{id}/sections/{sec}", readCase, (*Server).sectionPage},
			{"POST", "/cases/{id}/sections/{sec}", act(workflow.ActSave), (*Server).sectionPost},
			{"GET", "/cases/{id}/sections/{sec}/diff", readCase, (*Server).sectionDiff},
			{"POST", "/cases/{id}/sections/{sec}/inputs", act(workflow.ActInput), (*Server).inputPost},
			{"POST", "/cases/{id}/sections/{sec}/submit", act(workflow.ActSubmit), (*Server).submitPost},
			{"POST", "/cases/{id}/sections/{sec}/accept", act(workflow.ActAccept), (*Server).acceptPost},
			{"POST", "/cases/{id}/sections/{sec}/return", act(workflow.ActReturn), (*Server).returnSectionPost},
			{"GET", "/cases/{id}/sections/{sec}/remind", act(workflow.ActRemind), (*Server).remindPage},
			{"POST", "/cases/{id}/sections/{sec}/remind", act(workflow.ActRemind), (*Server).remindPost},
			// Issue 10: an item's result, and 延期申请 (pages_stats.go).
			{"POST", "/cases/{id}/sections/{sec}/result", act(workflow.ActResult), (*Server).resultPost},
			{"POST", "/cases/{id}/sections/{sec}/followup", act(workflow.ActFollowUp), (*Server).followUpPost},
			{"POST", "/cases/{id}/sections/{sec}/extension", act(workflow.ActExtend), (*Server).extensionPost},
			{"POST", "/cases/{id}/sections/{sec}/extension/decide", act(workflow.ActDecideExtension), (*Server).extensionDecidePost},
			{"POST", "/cases/{id}/sections/{sec}/liaison", act(workflow.ActLiaise), (*Server).liaisonPost},
			{"POST", "/cases/{id}/sections/{sec}/decline", act(workflow.ActDecline), (*Server).declinePost},
			{"POST", "/cases/{id}/sections/{sec}/reassign", act(workflow.ActReassign), (*Server).reassignPost},
			// Issue 10: a section's attachments (pages_attach.go): the
			// section form's 上传附件 and 删除 buttons, and the download,
			// to whoever may read the section.
			{"POST", "/cases/{id}/sections/{sec}/attachments", act(workflow.ActAttach), (*Server).sectionAttachPost},
			{"POST", "/cases/{id}/sections/{sec}/attachments/remove", act(workflow.ActDetach), (*Server).sectionDetachPost},
			{"GET", "/cases/{id}/sections/{sec}/attachments/{hash}", readCase, (*Server).sectionAttachmentFile},
		},
	}
}

// SignoffTable is the signoff function's: the report compiled from the
// sections (汇总), its opening and closing, and its sign-off chain
// (审核签发).
func SignoffTable() Table {
	return Table{
		Group: Signoff,
		Routes: []Route{
			{"PUT", "/api/cases/{id}/frame", act(workflow.ActFrame), (*Server).setFrame},
			{"POST", "/api/cases/{id}/compile", act(workflow.ActCompile), (*Server).compile},
			{"GET", "/api/cases/{id}/report", readReport, (*Server).report},
			{"PUT", "/api/cases/{id}/report", act(workflow.ActEditReport), (*Server).saveReport},
			{"POST", "/api/cases/{id}/signoff", act(workflow.ActStartSignoff), (*Server).startSignoff},
			{"POST", "/api/cases/{id}/approve", act(workflow.ActApprove), (*Server).approve},
			{"POST", "/api/cases/{id}/return", act(workflow.ActReturnReport), (*Server).returnReport},
			// 征求意见 (pages_consult.go)
			{"POST", "/api/cases/{id}/consult", act(workflow.ActConsult), (*Server).consultAPI},
			{"POST", "/api/cases/{id}/consult/revoke", act(workflow.ActRevokeConsult), (*Server).revokeConsultAPI},
			// Issue 10: the report's attachments, the notice's 附件 (pages_attach.go).
			{"POST", "/api/cases/{id}/report/attachments", act(workflow.ActAttachReport), (*Server).attachReportAPI},
			{"DELETE", "/api/cases/{id}/report/attachments/{hash}", act(workflow.ActDetachReport), (*Server).detachReportAPI},
		},
		Pages: []Page{
			{"GET", "/cases/{id}/frame", act(workflow.ActFrame), (*Server).framePage},
			{"POST", "/cases/{id}/frame", act(workflow.ActFrame), (*Server).framePost},
			{"POST", "/cases/{id}/compile", act(workflow.ActCompile), (*Server).compilePost},
			{"GET", "/cases/{id}/report", readReport, (*Server).reportPage},
			{"POST", "/cases/{id}/report", act(workflow.ActEditReport), (*Server).reportPost},
			{"GET", "/cases/{id}/report/diff", readReport, (*Server).reportDiff},
			{"GET", "/cases/{id}/print", readReport, (*Server).printPage},
			{"GET", "/cases/{id}/signoff", act(workflow.ActStartSignoff), (*Server).signoffPage},
			{"POST", "/cases/{id}/signoff", act(workflow.ActStartSignoff), (*Server).signoffPost},
			{"GET", "/queue", roles(workflow.Approver), (*Server).queuePage},
			{"GET", "/cases/{id}/review", readReport, (*Server).reviewPage},
			{"POST", "/cases/{id}/approve", act(workflow.ActApprove), (*Server).approvePost},
			{"POST", "/cases/{id}/return", act(workflow.ActReturnReport), (*Server).returnReportPost},
			// 征求意见 (pages_consult.go): the clerk's page, and the contact's page, public: the token
			// in ?t= (GET) or the form (POST) is its own proof, checked by workflow.Service.ConsultPage.
			{"GET", "/cases/{id}/consult", act(workflow.ActConsult), (*Server).consultPage},
			{"POST", "/cases/{id}/consult", act(workflow.ActConsult), (*Server).consultPost},
			{"POST", "/cases/{id}/consult/revoke", act(workflow.ActRevokeConsult), (*Server).consultRevoke},
			{"GET", "/consult", public, (*Server).consultLinkPage},
			{"POST", "/consult", public, (*Server).consultLinkPost},
			// Issue 10: the report's attachments (pages_attach.go).
			{"POST", "/cases/{id}/report/attachments", act(workflow.ActAttachReport), (*Server).reportAttachPost},
			{"POST", "/cases/{id}/report/attachments/remove", act(workflow.ActDetachReport), (*Server).reportDetachPost},
			{"GET", "/cases/{id}/report/attachments/{hash}", readReport, (*Server).reportAttachmentFile},
		},
	}
}

// PublishTable is the publish function's: numbering and publishing the
// notice (发布), and the public list, pages, feed and files.
func PublishTable() Table {
	return Table{
		Group: Publish,
		Routes: []Route{
			{"PUT", "/api/series/{series}/{year}", roles(workflow.Clerk, workflow.Admin), (*Server).setSeries},
			{"POST", "/api/cases/{id}/publish", act(workflow.ActPublish), (*Server).publish},
			{"GET", "/api/notices", public, (*Server).notices},
			{"GET", "/notices/{id}/{name}", public, nil}, // a file, not JSON: see file
			// Issue 13: 满意度 (pages_feedback.go).
			{"POST", "/api/cases/{id}/feedback", act(workflow.ActAskFeedback), (*Server).feedbackAskAPI},
		},
		Pages: []Page{
			// Drafts as .docx: only this function links the .docx writer.
			{"GET", "/cases/{id}/sections/{sec}/docx", readCase, (*Server).sectionDocx},
			{"GET", "/cases/{id}/report.docx", readReport, (*Server).reportDocx},
			// The number series (发文字号) and their counters: here with the
			// series API and the numbering, and out of intake, at its size
			// bound.
			{"GET", "/admin/series", adminOnly, (*Server).seriesPage},
			{"POST", "/admin/series", adminOnly, (*Server).seriesPost},
			{"GET", "/cases/{id}/publish", act(workflow.ActPublish), (*Server).publishPage},
			{"POST", "/cases/{id}/publish", act(workflow.ActPublish), (*Server).publishPost},
			{"GET", "/notices", public, (*Server).noticesPage},
			{"GET", "/notices/{id}", public, (*Server).noticePage},
			{"GET", "/notices.atom", public, (*Server).atomFeed},
			// A published notice's 附件 (pages_attach.go): public when the notice is.
			{"GET", "/notices/{id}/attachments/{n}", public, (*Server).noticeAttachmentFile},
			// Issue 13: 满意度: the clerk's link, the proposer's page.
			{"GET", "/cases/{id}/feedback", readCase, (*Server).feedbackCasePage},
			{"POST", "/cases/{id}/feedback", act(workflow.ActAskFeedback), (*Server).feedbackAskPost},
			{"GET", "/feedback", public, (*Server).feedbackPage},
			{"POST", "/feedback", public, (*Server).feedbackPost},
		},
	}
}

// LocalTable is what only the local server serves, all of it the intake
// stage's: the routes and pages that carry an opinion or roster file's
// bytes (on AWS uploads go straight to S3 through a presigned URL, since
// API Gateway and Lambda payloads are capped, and rosters are imported
// with docflow admin), and those that sign in with a password or the
// development identity and manage what only the local server keeps
// (passwords, sessions, API tokens, the setup link). On AWS people sign
// in through the office's identity provider (/auth/…). It is a table of
// its own, not rows of IntakeTable marked local, so that the intake
// function does not link what it never serves.
func LocalTable() Table {
	return Table{
		Group: Intake,
		Routes: []Route{
			{"GET", "/api/tokens", signedIn, (*Server).tokens},
			{"POST", "/api/tokens", signedIn, (*Server).tokens},
			{"DELETE", "/api/tokens/{tid}", signedIn, (*Server).revokeToken},
			{"POST", "/api/opinions/parse", act(workflow.ActIntake), (*Server).parseOpinion},
			{"POST", "/api/cases", act(workflow.ActIntake), (*Server).intake},
		},
		Pages: []Page{
			{"GET", "/login", public, (*Server).loginPage},
			{"POST", "/login", public, (*Server).login},
			{"POST", "/logout", public, (*Server).logout},
			{"GET", "/setup", setupLink, (*Server).setupPage},
			{"POST", "/setup", setupLink, (*Server).setupPost},
			{"GET", "/account", signedIn, (*Server).accountPage},
			{"POST", "/account", signedIn, (*Server).accountPost},
			{"GET", "/admin/import", adminOnly, (*Server).importPage},
			{"POST", "/admin/import", adminOnly, (*Server).importPost},
			{"POST", "/cases/new", act(workflow.ActIntake), (*Server).uploadOpinion},
			{"POST", "/cases", act(workflow.ActIntake), (*Server).intakePage},
		},
	}
}
