package api

import (
	"net/http"
)

// addImage is POST /v1/images.
func (s *Server) addImage(w http.ResponseWriter, r *http.Request) error {
	var body AddImageBody
	if err := decodeRequired(r, &body); err != nil {
		return err
	}
	if err := CheckImageName(body.Name); err != nil {
		return err
	}
	if err := CheckImageBody(body.ResolveBody); err != nil {
		return err
	}
	added, err := s.backend.AddImage(r.Context(), body)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/jobs/"+added.Job.ID)
	writeJSON(w, http.StatusAccepted, added)
	return nil
}

// removeImage is DELETE /v1/images/{name}.
func (s *Server) removeImage(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := CheckImageName(name); err != nil {
		return err
	}
	var body EmptyBody
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	res, err := s.backend.RemoveImage(r.Context(), name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// resolve is POST /v1/resolve.
func (s *Server) resolve(w http.ResponseWriter, r *http.Request) error {
	var body ResolveBody
	if err := decodeRequired(r, &body); err != nil {
		return err
	}
	if err := CheckImageBody(body); err != nil {
		return err
	}
	doc, err := s.backend.Resolve(r.Context(), body)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(doc, '\n'))
	return nil
}

// decodeRequired is decodeBody for a call that needs a body.
func decodeRequired(r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return Errorf(http.StatusBadRequest, "this call needs a JSON body")
	}
	return decodeBody(r, v)
}
