package workflow

import (
	"reflect"
	"testing"
	"time"
)

// TestClone fills every field of a Section and an Opinion, nested ones
// too, and checks that the clone is equal and shares no slice, map or
// pointer with the original. A field added later without its place in
// Clone fails here rather than letting two readers share state.
func TestClone(t *testing.T) {
	var s Section
	fill(reflect.ValueOf(&s).Elem())
	cs := s.Clone()
	if !reflect.DeepEqual(s, cs) {
		t.Errorf("Section.Clone differs:\n%+v\n%+v", s, cs)
	}
	shared(t, "Section", reflect.ValueOf(s), reflect.ValueOf(cs))

	var o Opinion
	fill(reflect.ValueOf(&o).Elem())
	co := o.Clone()
	if !reflect.DeepEqual(o, co) {
		t.Errorf("Opinion.Clone differs")
	}
	shared(t, "Opinion", reflect.ValueOf(o), reflect.ValueOf(co))
}

// fill sets every exported field reachable from v to a non-zero value.
func fill(v reflect.Value) {
	if v.Type() == reflect.TypeFor[time.Time]() {
		v.Set(reflect.ValueOf(time.Date(2025, 7, 10, 9, 0, 0, 0, time.UTC)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		v.SetUint(1)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Float64:
		v.SetFloat(1)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(s.Index(0))
		fill(s.Index(1))
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem())
		v.Set(p)
	}
}

// shared fails if a and b, equal values, share a slice's array, a map or
// a pointer anywhere.
func shared(t *testing.T, path string, a, b reflect.Value) {
	t.Helper()
	switch a.Kind() {
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				shared(t, path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
			}
		}
	case reflect.Slice:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			t.Errorf("%s: the clone shares the slice", path)
		}
		for i := range min(a.Len(), b.Len()) {
			shared(t, path+"[i]", a.Index(i), b.Index(i))
		}
	case reflect.Map:
		if !a.IsNil() && a.Pointer() == b.Pointer() {
			t.Errorf("%s: the clone shares the map", path)
		}
	case reflect.Pointer:
		if !a.IsNil() {
			if a.Pointer() == b.Pointer() {
				t.Errorf("%s: the clone shares the pointer", path)
			} else {
				shared(t, path, a.Elem(), b.Elem())
			}
		}
	}
}
