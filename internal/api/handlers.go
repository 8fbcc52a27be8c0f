package api

import (
	"net/http"
)

func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, s.backend.Health())
	return nil
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) error {
	rd := s.backend.Ready()
	if rd.Missing == nil {
		rd.Missing = []string{}
	}
	status := http.StatusOK
	if !rd.Ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, rd)
	return nil
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Metrics == nil {
		return Errorf(http.StatusNotFound, "metrics are not enabled")
	}
	s.opts.Metrics.ServeHTTP(w, r)
	return nil
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(OpenAPI)
	return nil
}

func (s *Server) images(w http.ResponseWriter, r *http.Request) error {
	list, err := s.backend.Images(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

func (s *Server) image(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := CheckImageName(name); err != nil {
		return err
	}
	im, err := s.backend.Image(r.Context(), name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, im)
	return nil
}

// imageJob is POST /v1/images/{name}/<kind>: a job on one image that
// takes no parameters.
func (s *Server) imageJob(kind string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		name := r.PathValue("name")
		if err := CheckImageName(name); err != nil {
			return err
		}
		var body EmptyBody
		if err := decodeBody(r, &body); err != nil {
			return err
		}
		return s.submit(w, JobRequest{Kind: kind, Images: []string{name}, Origin: "api"})
	}
}

func (s *Server) hold(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := CheckImageName(name); err != nil {
		return err
	}
	var body HoldBody
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if err := CheckReason(body.Reason); err != nil {
		return err
	}
	return s.submit(w, JobRequest{Kind: KindHold, Images: []string{name}, Reason: body.Reason, Origin: "api"})
}

func (s *Server) rollback(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := CheckImageName(name); err != nil {
		return err
	}
	var body RollbackBody
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if err := CheckVersion(body.Version); err != nil {
		return err
	}
	return s.submit(w, JobRequest{Kind: KindRollback, Images: []string{name}, Version: body.Version, Origin: "api"})
}

// listJob is POST /v1/sync and /v1/check: a job on the images listed (all
// by default).
func (s *Server) listJob(kind string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		var body SyncBody
		if err := decodeBody(r, &body); err != nil {
			return err
		}
		if err := checkNames(body.Images); err != nil {
			return err
		}
		return s.submit(w, JobRequest{Kind: kind, Images: body.Images, Origin: "api"})
	}
}

func (s *Server) prune(w http.ResponseWriter, r *http.Request) error {
	var body PruneBody
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	return s.submit(w, JobRequest{Kind: KindPrune, DryRun: body.DryRun, Origin: "api"})
}

func (s *Server) submit(w http.ResponseWriter, req JobRequest) error {
	job, err := s.backend.Submit(req)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/jobs/"+job.ID)
	writeJSON(w, http.StatusAccepted, JobAccepted{Job: job})
	return nil
}

func (s *Server) jobs(w http.ResponseWriter, r *http.Request) error {
	jobs := s.backend.Jobs()
	if jobs == nil {
		jobs = []Job{}
	}
	writeJSON(w, http.StatusOK, JobList{Jobs: jobs})
	return nil
}

func (s *Server) job(w http.ResponseWriter, r *http.Request) error {
	id, err := ParseJobID(r.PathValue("id"))
	if err != nil {
		return err
	}
	job, ok := s.backend.Job(id)
	if !ok {
		return Errorf(http.StatusNotFound, "no job %s (the service keeps the most recent jobs only)", id)
	}
	writeJSON(w, http.StatusOK, job)
	return nil
}

func (s *Server) sources(w http.ResponseWriter, r *http.Request) error {
	doc, err := s.backend.Sources(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(doc, '\n'))
	return nil
}

func (s *Server) reload(w http.ResponseWriter, r *http.Request) error {
	var body EmptyBody
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	res, err := s.backend.Reload(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
