;;; emacs_eglot_test.el --- end-to-end test of the eglot snippet in editors/README.md  -*- lexical-binding: t -*-
;;
;; Run by tests/editors/emacs.sh:
;;   emacs --batch -l emacs_eglot_test.el WORKSPACE SNIPPET-FILE
;; with `brine' on PATH. Loads the snippet (extracted from editors/README.md), opens app.py as a
;; user would (python-mode, its hook starts eglot), waits for BRN102 from Flymake, runs the
;; `eglot-code-actions' command choosing "Add `weights_only=True`", and waits for the diagnostic to
;; go away.

(require 'cl-lib)
(require 'subr-x)

(defvar brine-test-workspace (nth 0 command-line-args-left))
(defvar brine-test-snippet (nth 1 command-line-args-left))
(setq command-line-args-left nil)
(defvar brine-test-start (float-time))
(defvar brine-test-wait (string-to-number (or (getenv "BRINE_EMACS_WAIT") "30")))
(defconst brine-test-title "Add `weights_only=True`")

(defun brine-test-log (format-string &rest args)
  (princ (format "[%6.2fs] %s\n" (- (float-time) brine-test-start)
                 (apply #'format format-string args))))

(defun brine-test-fail (format-string &rest args)
  (brine-test-log "FAIL: %s" (apply #'format format-string args))
  (when-let ((events (cl-find-if (lambda (buffer)
                                   (string-match-p "\\`\\*EGLOT .* events\\*\\'" (buffer-name buffer)))
                                 (buffer-list))))
    (with-current-buffer events
      (brine-test-log "last eglot events:\n%s"
                      (buffer-substring-no-properties (max (point-min) (- (point-max) 3000))
                                                      (point-max)))))
  (kill-emacs 1))

(defun brine-test-wait-for (what predicate)
  (brine-test-log "waiting for %s" what)
  (let ((deadline (+ (float-time) brine-test-wait)))
    (while (not (funcall predicate))
      (when (> (float-time) deadline)
        (brine-test-fail "timed out after %ss waiting for %s" brine-test-wait what))
      ;; Lets process output and timers run, and the idle timers that an interactive session
      ;; runs when the user pauses (eglot's didChange, Flymake's check): batch mode is never idle.
      (accept-process-output nil 0.05)
      (dolist (timer (copy-sequence timer-idle-list))
        (when (memq timer timer-idle-list)
          (timer-event-handler timer)))
      (run-hooks 'post-command-hook)))
  (brine-test-log "ok: %s" what))

(defun brine-test-diagnostic (code)
  (cl-find-if (lambda (diag) (string-match-p (regexp-quote (format "[%s]" code))
                                             (flymake-diagnostic-text diag)))
              (flymake-diagnostics)))

(unless (and brine-test-workspace brine-test-snippet)
  (brine-test-fail "usage: emacs --batch -l emacs_eglot_test.el WORKSPACE SNIPPET"))

(load brine-test-snippet nil t)
(brine-test-log "loaded the snippet; eglot %s" (or (bound-and-true-p eglot--version)
                                                   (locate-library "eglot")))

(find-file (expand-file-name "app.py" brine-test-workspace))
(unless (derived-mode-p 'python-mode)
  (brine-test-fail "app.py opened in %s" major-mode))
;; `eglot-ensure' connects after the command that opened the file, like in a session.
(run-hooks 'post-command-hook)

(brine-test-wait-for "eglot to manage app.py"
                     (lambda () (bound-and-true-p eglot--managed-mode)))
(brine-test-log "server: %S" (plist-get (eglot--server-info (eglot-current-server)) :name))

(let (diag)
  (brine-test-wait-for "BRN102 from Flymake"
                       (lambda () (setq diag (brine-test-diagnostic "BRN102"))))
  (brine-test-log "diagnostic at line %d: %s" (line-number-at-pos (flymake-diagnostic-beg diag))
                  (flymake-diagnostic-text diag))
  (goto-char (flymake-diagnostic-beg diag)))

;; M-x eglot-code-actions at the finding, choosing the fix from the prompt.
(let (offered
      ;; Invoked from the keyboard (M-x), so the choice is a `completing-read' prompt.
      (last-nonmenu-event ?\r))
  (cl-letf (((symbol-function 'completing-read)
             (lambda (_prompt collection &rest _)
               (setq offered (mapcar #'car collection))
               brine-test-title)))
    (call-interactively #'eglot-code-actions))
  (brine-test-log "code actions offered: %s" (string-join offered " | "))
  (unless (member brine-test-title offered)
    (brine-test-fail "no %S code action" brine-test-title)))

(brine-test-wait-for "the fix in the buffer"
                     (lambda () (save-excursion
                                  (goto-char (point-min))
                                  (search-forward "torch.load(path, weights_only=True)" nil t))))
(brine-test-wait-for "BRN102 to go away"
                     (lambda () (null (brine-test-diagnostic "BRN102"))))

(let ((inhibit-message t))
  (eglot-shutdown (eglot-current-server)))
(brine-test-log "PASS: emacs eglot end-to-end")
(kill-emacs 0)
